package io.pirstream.model.pretrained;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import io.pirstream.model.nn.MobileNet;
import io.pirstream.model.nn.TfConv;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fills {@link MobileNet} units with the ImageNet weights of a quantized TFLite MobileNet: each convolution operator
 * of the file, in execution order, onto the next {@link TfConv} of the units, dequantized and transposed to PyTorch
 * layout ({@code [out, kh, kw, in]} -> {@code [out, in, kh, kw]}; depthwise {@code [1, kh, kw, C]} ->
 * {@code [C, 1, kh, kw]}). Every convolution's kind, shape, stride, padding and activation is checked against the
 * unit it fills, so a file of another network fails with a message that names the first difference.
 */
public final class PretrainedMobileNet {

    /** Shipped-elsewhere location of the pre-trained files, relative to the project root. */
    public static final String SHARED_DIR = "../shared/pretrained";
    /** The MobileNetV1 embedding extractor (ends at the pooled 1024-d feature). */
    public static final String V1_FILE = "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite";
    /** The MobileNetV2 classifier (ends at 1001 ImageNet logits). */
    public static final String V2_FILE = "mobilenet_v2_1.0_224_quant.tflite";

    /**
     * The ImageNet classifier of a file that has one (a 1x1 convolution after the pooled features), as a weight
     * {@code [classes, features]} and a bias; null when the file ends at the features.
     */
    public record Classifier(float[] weight, float[] bias, int classes, int features) {
    }

    private PretrainedMobileNet() {
    }

    /** The file of a variant inside a folder. */
    public static Path file(Path folder, MobileNet.Variant variant) {
        return folder.resolve(variant == MobileNet.Variant.V1 ? V1_FILE : V2_FILE);
    }

    /**
     * Copies the file's weights into initialised units (all units of the variant, in order); returns the classifier
     * when the file has one.
     */
    public static Classifier load(TfLiteFile file, List<? extends AbstractBlock> units) {
        List<TfConv> targets = new ArrayList<>();
        for (AbstractBlock unit : units) {
            targets.addAll(((MobileNet.Unit) unit).convs());
        }
        List<TfLiteFile.Operator> convs = file.operators().stream()
                .filter(op -> op.builtinCode() == TfLiteFile.CONV_2D || op.builtinCode() == TfLiteFile.DEPTHWISE_CONV_2D).toList();
        if (convs.size() != targets.size() && convs.size() != targets.size() + 1) {
            throw new TfLiteException(file.source() + " is not the expected network: it has " + convs.size()
                    + " convolutions, the MobileNet built here has " + targets.size() + " (plus an optional classifier)");
        }
        for (int i = 0; i < targets.size(); i++) {
            fill(file, convs.get(i), targets.get(i), i);
        }
        return convs.size() > targets.size() ? classifier(file, convs.get(targets.size())) : null;
    }

    private static void fill(TfLiteFile file, TfLiteFile.Operator op, TfConv target, int index) {
        String where = file.source() + " convolution " + index;
        boolean depthwise = op.builtinCode() == TfLiteFile.DEPTHWISE_CONV_2D;
        if (depthwise != target.isDepthwise()) {
            throw new TfLiteException(where + " is " + (depthwise ? "depthwise" : "a full convolution") + ", the network expects "
                    + (target.isDepthwise() ? "a depthwise one" : "a full one"));
        }
        if (op.strideH() != target.stride() || op.strideW() != target.stride() || op.padding() != TfLiteFile.Padding.SAME) {
            throw new TfLiteException(where + " has stride " + op.strideH() + "x" + op.strideW() + " and padding " + op.padding()
                    + ", the network expects stride " + target.stride() + " and SAME");
        }
        boolean relu6 = op.fusedActivation() == TfLiteFile.RELU6;
        if (relu6 != target.hasRelu6()) {
            throw new TfLiteException(where + (relu6 ? " ends in ReLU6" : " has activation " + op.fusedActivation())
                    + ", the network expects " + (target.hasRelu6() ? "ReLU6" : "none"));
        }
        TfLiteFile.Tensor weight = file.tensors().get(op.inputs()[1]);
        TfLiteFile.Tensor bias = op.inputs().length > 2 && op.inputs()[2] >= 0 ? file.tensors().get(op.inputs()[2]) : null;
        if (bias == null) {
            throw new TfLiteException(where + " has no bias; the folded-batch-norm MobileNets always have one");
        }
        float[] torch = depthwise ? depthwiseToTorch(weight) : convToTorch(weight);
        Parameter w = target.conv().getParameters().get("weight");
        Parameter b = target.conv().getParameters().get("bias");
        long[] expected = w.getArray().getShape().getShape();
        long[] actual = torchShape(weight, depthwise);
        if (!Arrays.equals(expected, actual)) {
            throw new TfLiteException(where + " (" + weight.name() + ") has weights " + Arrays.toString(actual) + " in PyTorch layout, the network expects "
                    + Arrays.toString(expected));
        }
        float[] biasValues = bias.dequantize();
        if (biasValues.length != b.getArray().getShape().size()) {
            throw new TfLiteException(where + " has " + biasValues.length + " biases, the network expects " + b.getArray().getShape().size());
        }
        set(w.getArray(), torch);
        set(b.getArray(), biasValues);
    }

    private static void set(NDArray array, float[] values) {
        array.set(values);
    }

    private static long[] torchShape(TfLiteFile.Tensor weight, boolean depthwise) {
        int[] s = weight.shape();
        if (s.length != 4) {
            throw new TfLiteException("weight " + weight.name() + " has rank " + s.length + ", expected 4");
        }
        return depthwise ? new long[] {s[3], 1, s[1], s[2]} : new long[] {s[0], s[3], s[1], s[2]};
    }

    /** {@code [out, kh, kw, in]} -> {@code [out, in, kh, kw]}. */
    static float[] convToTorch(TfLiteFile.Tensor weight) {
        int[] s = weight.shape();
        float[] src = weight.dequantize();
        int out = s[0];
        int kh = s[1];
        int kw = s[2];
        int in = s[3];
        float[] dst = new float[src.length];
        for (int o = 0; o < out; o++) {
            for (int y = 0; y < kh; y++) {
                for (int x = 0; x < kw; x++) {
                    for (int c = 0; c < in; c++) {
                        dst[((o * in + c) * kh + y) * kw + x] = src[((o * kh + y) * kw + x) * in + c];
                    }
                }
            }
        }
        return dst;
    }

    /** {@code [1, kh, kw, C]} -> {@code [C, 1, kh, kw]}. */
    static float[] depthwiseToTorch(TfLiteFile.Tensor weight) {
        int[] s = weight.shape();
        if (s[0] != 1) {
            throw new TfLiteException("depthwise weight " + weight.name() + " has depth multiplier layout " + Arrays.toString(s) + ", expected [1, kh, kw, C]");
        }
        float[] src = weight.dequantize();
        int kh = s[1];
        int kw = s[2];
        int channels = s[3];
        float[] dst = new float[src.length];
        for (int y = 0; y < kh; y++) {
            for (int x = 0; x < kw; x++) {
                for (int c = 0; c < channels; c++) {
                    dst[(c * kh + y) * kw + x] = src[(y * kw + x) * channels + c];
                }
            }
        }
        return dst;
    }

    private static Classifier classifier(TfLiteFile file, TfLiteFile.Operator op) {
        TfLiteFile.Tensor weight = file.tensors().get(op.inputs()[1]);
        TfLiteFile.Tensor bias = file.tensors().get(op.inputs()[2]);
        int[] s = weight.shape();
        if (op.builtinCode() != TfLiteFile.CONV_2D || s.length != 4 || s[1] != 1 || s[2] != 1) {
            throw new TfLiteException(file.source() + ": the last convolution is not a 1x1 classifier: " + Arrays.toString(s));
        }
        return new Classifier(weight.dequantize(), bias.dequantize(), s[0], s[3]);
    }

    /** Shape helper for tests and callers: the classifier's weight as {@code (classes, features)}. */
    public static Shape classifierShape(Classifier c) {
        return new Shape(c.classes(), c.features());
    }
}
