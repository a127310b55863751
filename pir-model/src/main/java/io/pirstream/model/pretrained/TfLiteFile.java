package io.pirstream.model.pretrained;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the subset of a TensorFlow Lite flatbuffer that holds a network's weights: the tensors of the first
 * subgraph (name, shape, type, data, per-tensor quantization) and its operators in execution order (builtin code,
 * input and output tensors, and the convolution options that decide the layout).
 *
 * <p>Flatbuffer layout, as far as it is used here: the file starts with the offset of the root table and the
 * identifier {@code TFL3}; a table starts with a signed offset back to its vtable, whose entries are the byte
 * offsets of the table's fields (0 = absent); references (vectors, strings, sub-tables) are unsigned offsets from
 * where they are stored. Every offset is bounds-checked, so a truncated or hostile file fails with
 * {@link TfLiteException} instead of reading garbage.
 */
public final class TfLiteFile {

    /** Tensor element types used by quantized networks (TFLite's {@code TensorType}). */
    public enum TensorType {
        FLOAT32(0, 4), FLOAT16(1, 2), INT32(2, 4), UINT8(3, 1), INT64(4, 8), STRING(5, 1), BOOL(6, 1), INT16(7, 2), COMPLEX64(8, 8),
        INT8(9, 1);

        final int code;
        /** Bytes per element. */
        public final int bytes;

        TensorType(int code, int bytes) {
            this.code = code;
            this.bytes = bytes;
        }

        static TensorType of(int code) {
            for (TensorType t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            throw new TfLiteException("unsupported tensor type code " + code);
        }
    }

    /**
     * One tensor.
     *
     * @param index position in the subgraph
     * @param name tensor name
     * @param shape dimensions (TFLite order: NHWC for activations, OHWI for conv weights)
     * @param type element type
     * @param data raw little-endian bytes (empty for activations)
     * @param scale quantization scale, 0 when not quantized
     * @param zeroPoint quantization zero point
     */
    public record Tensor(int index, String name, int[] shape, TensorType type, byte[] data, float scale, long zeroPoint) {

        /** Number of elements. */
        public int elements() {
            int n = 1;
            for (int d : shape) {
                n *= d;
            }
            return n;
        }

        /** The values as floats: {@code (q - zeroPoint) * scale} for quantized integers, as stored for floats. */
        public float[] dequantize() {
            int n = elements();
            if (data.length != (long) n * type.bytes) {
                throw new TfLiteException("tensor " + name + " has " + data.length + " bytes, its shape needs " + (long) n * type.bytes);
            }
            ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[n];
            boolean quantized = scale != 0f;
            for (int i = 0; i < n; i++) {
                double v = switch (type) {
                    case UINT8 -> b.get(i) & 0xff;
                    case INT8 -> b.get(i);
                    case INT32 -> b.getInt(i * 4);
                    case FLOAT32 -> b.getFloat(i * 4);
                    default -> throw new TfLiteException("cannot dequantize tensor " + name + " of type " + type);
                };
                out[i] = quantized ? (float) ((v - zeroPoint) * scale) : (float) v;
            }
            return out;
        }
    }

    /** TFLite {@code Padding}. */
    public enum Padding { SAME, VALID }

    /**
     * One operator.
     *
     * @param builtinCode TFLite {@code BuiltinOperator} code ({@link #CONV_2D}, {@link #DEPTHWISE_CONV_2D}, ...)
     * @param inputs input tensor indices (-1 = optional input absent)
     * @param outputs output tensor indices
     * @param padding padding of a convolution, or null
     * @param strideH vertical stride of a convolution (0 otherwise)
     * @param strideW horizontal stride of a convolution (0 otherwise)
     * @param fusedActivation TFLite {@code ActivationFunctionType} (0 none, 1 ReLU, 3 ReLU6)
     */
    public record Operator(int builtinCode, int[] inputs, int[] outputs, Padding padding, int strideH, int strideW, int fusedActivation) {
    }

    /** {@code BuiltinOperator} codes named in this project. */
    public static final int ADD = 0, AVERAGE_POOL_2D = 1, CONV_2D = 3, DEPTHWISE_CONV_2D = 4, DEQUANTIZE = 6, FULLY_CONNECTED = 9,
            RESHAPE = 22, SOFTMAX = 25, MEAN = 40, SQUEEZE = 43, QUANTIZE = 114;
    /** {@code ActivationFunctionType.RELU6}. */
    public static final int RELU6 = 3;

    private final ByteBuffer buf;
    private final String source;
    private final List<Tensor> tensors;
    private final List<Operator> operators;

    private TfLiteFile(byte[] bytes, String source) {
        this.source = source;
        this.buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 8) {
            throw new TfLiteException(source + " is not a TFLite model: " + bytes.length + " bytes");
        }
        String identifier = new String(bytes, 4, 4, StandardCharsets.US_ASCII);
        if (!"TFL3".equals(identifier)) {
            throw new TfLiteException(source + " is not a TFLite model: file identifier '" + printable(identifier) + "', expected 'TFL3'");
        }
        try {
            int model = reference(0);
            int[] opcodes = tableVector(model, 1);
            int[] subgraphs = tableVector(model, 2);
            int[] buffers = tableVector(model, 4);
            if (subgraphs.length == 0) {
                throw new TfLiteException(source + " has no subgraph");
            }
            int subgraph = subgraphs[0];
            List<Tensor> ts = new ArrayList<>();
            int[] tensorTables = tableVector(subgraph, 0);
            for (int i = 0; i < tensorTables.length; i++) {
                ts.add(tensor(i, tensorTables[i], buffers));
            }
            List<Operator> ops = new ArrayList<>();
            for (int op : tableVector(subgraph, 3)) {
                ops.add(operator(op, opcodes, ts.size()));
            }
            this.tensors = List.copyOf(ts);
            this.operators = List.copyOf(ops);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw new TfLiteException(source + " is truncated or corrupted: " + e.getMessage(), e);
        }
    }

    /** Reads and parses a {@code .tflite} file. */
    public static TfLiteFile read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new TfLiteException("TFLite file not found: " + file);
        }
        try {
            return new TfLiteFile(Files.readAllBytes(file), file.toString());
        } catch (IOException e) {
            throw new TfLiteException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Parses TFLite bytes; {@code source} names them in errors. */
    public static TfLiteFile parse(byte[] bytes, String source) {
        return new TfLiteFile(bytes, source);
    }

    /** Tensors of the first subgraph, by index. */
    public List<Tensor> tensors() {
        return tensors;
    }

    /** Operators of the first subgraph, in execution order. */
    public List<Operator> operators() {
        return operators;
    }

    /** Where the file came from (for messages). */
    public String source() {
        return source;
    }

    private Tensor tensor(int index, int table, int[] buffers) {
        int[] shape = intVector(table, 0);
        int type = field(table, 1) == 0 ? 0 : buf.get(field(table, 1));
        long bufferIndex = field(table, 2) == 0 ? 0 : Integer.toUnsignedLong(buf.getInt(field(table, 2)));
        String name = field(table, 3) == 0 ? "" : string(reference(field(table, 3)));
        float scale = 0f;
        long zeroPoint = 0;
        if (field(table, 4) != 0) {
            int q = reference(field(table, 4));
            float[] scales = floatVector(q, 2);
            long[] zeros = longVector(q, 3);
            if (scales.length > 1) {
                throw new TfLiteException("tensor " + name + " has per-channel quantization (" + scales.length
                        + " scales); only per-tensor quantization is supported");
            }
            scale = scales.length == 1 ? scales[0] : 0f;
            zeroPoint = zeros.length == 1 ? zeros[0] : 0;
        }
        if (bufferIndex >= buffers.length) {
            throw new TfLiteException("tensor " + name + " names buffer " + bufferIndex + " of " + buffers.length);
        }
        byte[] data = byteVector(buffers[(int) bufferIndex], 0);
        return new Tensor(index, name, shape, TensorType.of(type), data, scale, zeroPoint);
    }

    private Operator operator(int table, int[] opcodes, int tensorCount) {
        int opcodeIndex = field(table, 0) == 0 ? 0 : buf.getInt(field(table, 0));
        if (opcodeIndex < 0 || opcodeIndex >= opcodes.length) {
            throw new TfLiteException("operator names opcode " + opcodeIndex + " of " + opcodes.length);
        }
        int code = builtinCode(opcodes[opcodeIndex]);
        int[] inputs = intVector(table, 1);
        int[] outputs = intVector(table, 2);
        for (int[] ids : List.of(inputs, outputs)) {
            for (int id : ids) {
                if (id < -1 || id >= tensorCount) {
                    throw new TfLiteException("operator refers to tensor " + id + " of " + tensorCount);
                }
            }
        }
        Padding padding = null;
        int strideH = 0;
        int strideW = 0;
        int activation = 0;
        if ((code == CONV_2D || code == DEPTHWISE_CONV_2D || code == AVERAGE_POOL_2D) && field(table, 4) != 0) {
            int options = reference(field(table, 4));
            padding = byteField(options, 0) == 1 ? Padding.VALID : Padding.SAME;
            strideW = intField(options, 1, 1);
            strideH = intField(options, 2, 1);
            // Conv2DOptions: activation is field 3; DepthwiseConv2DOptions: field 4 (after depth_multiplier);
            // Pool2DOptions: field 5 (after filter width and height)
            int activationField = code == CONV_2D ? 3 : code == DEPTHWISE_CONV_2D ? 4 : 5;
            activation = byteField(options, activationField);
        }
        return new Operator(code, inputs, outputs, padding, strideH, strideW, activation);
    }

    private int builtinCode(int opcodeTable) {
        // builtin_code (field 3, int32) superseded deprecated_builtin_code (field 0, int8) for codes above 127
        int deprecated = byteField(opcodeTable, 0);
        int builtin = intField(opcodeTable, 3, 0);
        return Math.max(deprecated, builtin);
    }

    // --- flatbuffer primitives ---

    /** Absolute position of field {@code id} of the table at {@code table}, or 0 when absent. */
    private int field(int table, int id) {
        int vtable = table - buf.getInt(check(table, 4));
        int vtableSize = Short.toUnsignedInt(buf.getShort(check(vtable, 2)));
        int entry = 4 + 2 * id;
        if (entry + 2 > vtableSize) {
            return 0;
        }
        int offset = Short.toUnsignedInt(buf.getShort(check(vtable + entry, 2)));
        return offset == 0 ? 0 : check(table + offset, 1);
    }

    private int reference(int at) {
        long target = at + Integer.toUnsignedLong(buf.getInt(check(at, 4)));
        if (target >= buf.limit()) {
            throw new IndexOutOfBoundsException("offset " + target + " beyond the end (" + buf.limit() + " bytes)");
        }
        return (int) target;
    }

    private int check(int at, int size) {
        if (at < 0 || at + size > buf.limit()) {
            throw new IndexOutOfBoundsException("read of " + size + " bytes at " + at + " beyond the end (" + buf.limit() + " bytes)");
        }
        return at;
    }

    /** Start and length of the vector in field {@code id}, or null when absent. */
    private int[] vector(int table, int id, int elementSize) {
        int f = field(table, id);
        if (f == 0) {
            return null;
        }
        int v = reference(f);
        long length = Integer.toUnsignedLong(buf.getInt(check(v, 4)));
        if (v + 4 + length * elementSize > buf.limit()) {
            throw new IndexOutOfBoundsException("vector of " + length + " elements at " + v + " runs past the end (" + buf.limit() + " bytes)");
        }
        return new int[] {v + 4, (int) length};
    }

    private int[] tableVector(int table, int id) {
        int[] v = vector(table, id, 4);
        if (v == null) {
            return new int[0];
        }
        int[] out = new int[v[1]];
        for (int i = 0; i < v[1]; i++) {
            out[i] = reference(v[0] + 4 * i);
        }
        return out;
    }

    private int[] intVector(int table, int id) {
        int[] v = vector(table, id, 4);
        int[] out = new int[v == null ? 0 : v[1]];
        for (int i = 0; i < out.length; i++) {
            out[i] = buf.getInt(v[0] + 4 * i);
        }
        return out;
    }

    private float[] floatVector(int table, int id) {
        int[] v = vector(table, id, 4);
        float[] out = new float[v == null ? 0 : v[1]];
        for (int i = 0; i < out.length; i++) {
            out[i] = buf.getFloat(v[0] + 4 * i);
        }
        return out;
    }

    private long[] longVector(int table, int id) {
        int[] v = vector(table, id, 8);
        long[] out = new long[v == null ? 0 : v[1]];
        for (int i = 0; i < out.length; i++) {
            out[i] = buf.getLong(v[0] + 8 * i);
        }
        return out;
    }

    private byte[] byteVector(int table, int id) {
        int[] v = vector(table, id, 1);
        byte[] out = new byte[v == null ? 0 : v[1]];
        if (v != null) {
            buf.get(v[0], out);
        }
        return out;
    }

    private String string(int at) {
        int length = buf.getInt(check(at, 4));
        check(at + 4, length);
        byte[] b = new byte[length];
        buf.get(at + 4, b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private int byteField(int table, int id) {
        int f = field(table, id);
        return f == 0 ? 0 : buf.get(f);
    }

    private int intField(int table, int id, int fallback) {
        int f = field(table, id);
        return f == 0 ? fallback : buf.getInt(check(f, 4));
    }

    private static String printable(String s) {
        return s.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
