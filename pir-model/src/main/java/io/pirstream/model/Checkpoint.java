package io.pirstream.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The on-disk form of a trained model: a folder with {@value #MANIFEST} (format, version, model
 * config, scene classes, vocabulary, text-encoder identity, metrics, weights hash) and
 * {@value #WEIGHTS} (DJL parameter file).
 *
 * <p>The version is a content hash: {@code pir-} + the first 16 hex digits of SHA-256 over the
 * weights and the parts of the manifest that define the network (config, classes, vocabulary, text
 * encoder). Metrics do not change the version.
 */
public final class Checkpoint {

    /** Manifest file name. */
    public static final String MANIFEST = "checkpoint.json";
    /** Weights file name. */
    public static final String WEIGHTS = "weights.params";
    /** Format identifier in the manifest. */
    public static final String FORMAT = "pirstream-pir-checkpoint/2";
    /** The format of the first model (small ResNets trained from scratch), which this code no longer builds. */
    static final String FORMAT_1 = "pirstream-pir-checkpoint/1";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * The manifest.
     *
     * @param format {@link #FORMAT}
     * @param version content hash
     * @param model network config
     * @param classes scene classes in probability order
     * @param vocabulary words of the scratch text encoder, or {@code null} with the sentence encoder
     * @param textEncoderSha256 SHA-256 of the frozen sentence encoder model, or {@code null}
     * @param weightsSha256 SHA-256 of {@value #WEIGHTS}
     * @param metrics validation metrics and training facts, free-form
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Manifest(String format, String version, ModelConfig model, List<String> classes, List<String> vocabulary,
            String textEncoderSha256, String weightsSha256, Map<String, Object> metrics) {
    }

    private Checkpoint() {
    }

    /** First bytes of a weights file. */
    private static final int WEIGHTS_MAGIC = 0x50495257; // "PIRW"
    /** Version of the weights layout. */
    private static final int WEIGHTS_LAYOUT = 1;

    /**
     * Serialises a network's parameters as float16 (half the size of float32; embeddings move by about 1e-3, well
     * below what retrieval notices): magic, layout, count, then per parameter its name, shape and values, in the
     * network's parameter order.
     */
    public static byte[] weights(Block network) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(WEIGHTS_MAGIC);
            out.writeInt(WEIGHTS_LAYOUT);
            ai.djl.nn.ParameterList parameters = network.getParameters();
            out.writeInt(parameters.size());
            for (Pair<String, Parameter> p : parameters) {
                NDArray array = p.getValue().getArray();
                out.writeUTF(p.getKey());
                long[] shape = array.getShape().getShape();
                out.writeInt(shape.length);
                for (long d : shape) {
                    out.writeLong(d);
                }
                out.write(array.toType(DataType.FLOAT16, false).toByteArray());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * Loads weights written by {@link #weights} into an initialised network of the same structure.
     *
     * @throws CheckpointException when the bytes are not a weights file or do not fit the network (names, shapes, size)
     */
    public static void load(Block network, byte[] weights) {
        
        ai.djl.nn.ParameterList parameters = network.getParameters();
        try (DataInputStream data = new DataInputStream(new ByteArrayInputStream(weights))) {
            if (data.readInt() != WEIGHTS_MAGIC || data.readInt() != WEIGHTS_LAYOUT) {
                throw new CheckpointException("the weights are not a PIR weights file (layout " + WEIGHTS_LAYOUT + ")");
            }
            int count = data.readInt();
            if (count != parameters.size()) {
                throw new CheckpointException("the weights hold " + count + " parameters, the network has " + parameters.size());
            }
            for (Pair<String, Parameter> p : parameters) {
                String name = data.readUTF();
                NDArray target = p.getValue().getArray();
                long[] shape = new long[data.readInt()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = data.readLong();
                }
                if (!name.equals(p.getKey()) || !java.util.Arrays.equals(shape, target.getShape().getShape())) {
                    throw new CheckpointException("the weights have " + name + " " + java.util.Arrays.toString(shape) + " where the network has "
                            + p.getKey() + " " + target.getShape());
                }
                byte[] half = new byte[(int) (target.getShape().size() * 2)];
                data.readFully(half);
                try (NDArray h = target.getManager().create(ByteBuffer.wrap(half).order(ByteOrder.nativeOrder()), target.getShape(),
                        DataType.FLOAT16); NDArray f = h.toType(DataType.FLOAT32, false)) {
                    target.set(f.toFloatArray());
                }
            }
            if (data.available() > 0) {
                throw new CheckpointException("the weights have " + data.available() + " bytes after the last parameter");
            }
        } catch (IOException e) {
            throw new CheckpointException("the weights are truncated: " + e, e);
        }
    }

    /** Builds a manifest with its version computed from the content. */
    public static Manifest manifest(byte[] weights, ModelConfig model, List<String> classes, List<String> vocabulary,
            String textEncoderSha256, Map<String, Object> metrics) {
        String weightsSha = sha256(weights);
        String identity;
        try {
            Map<String, Object> id = new LinkedHashMap<>();
            id.put("model", model);
            id.put("classes", classes);
            id.put("vocabulary", vocabulary);
            id.put("textEncoderSha256", textEncoderSha256);
            id.put("weightsSha256", weightsSha);
            identity = JSON.writeValueAsString(id);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String version = "pir-" + sha256(identity.getBytes(StandardCharsets.UTF_8)).substring(0, 16);
        return new Manifest(FORMAT, version, model, List.copyOf(classes), vocabulary == null ? null : List.copyOf(vocabulary),
                textEncoderSha256, weightsSha, metrics == null ? Map.of() : new LinkedHashMap<>(metrics));
    }

    /** Writes a checkpoint folder (created if needed); returns the manifest written. */
    public static Manifest write(Path dir, byte[] weights, Manifest manifest) {
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve(WEIGHTS + ".tmp");
            Files.write(tmp, weights);
            Files.move(tmp, dir.resolve(WEIGHTS), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            JSON.writeValue(dir.resolve(MANIFEST).toFile(), manifest);
            return manifest;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint to " + dir, e);
        }
    }

    /** Reads and verifies a checkpoint folder; returns manifest and weights. */
    public static Loaded read(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException("checkpoint folder not found: " + dir);
        }
        Path manifest = dir.resolve(MANIFEST);
        Path weights = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(manifest) || !Files.isRegularFile(weights)) {
            throw new CheckpointException("incomplete checkpoint " + dir + ": needs " + MANIFEST + " and " + WEIGHTS);
        }
        try {
            return verify(Files.readAllBytes(manifest), Files.readAllBytes(weights), dir.toString());
        } catch (IOException e) {
            throw new CheckpointException("cannot read checkpoint " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Reads and verifies a checkpoint from classpath resources under {@code prefix}. */
    public static Loaded readResource(String prefix) {
        try (InputStream m = Checkpoint.class.getResourceAsStream(prefix + "/" + MANIFEST);
                InputStream w = Checkpoint.class.getResourceAsStream(prefix + "/" + WEIGHTS)) {
            if (m == null || w == null) {
                throw new CheckpointException("no checkpoint on the classpath at " + prefix);
            }
            return verify(m.readAllBytes(), w.readAllBytes(), "classpath:" + prefix);
        } catch (IOException e) {
            throw new CheckpointException("cannot read checkpoint classpath:" + prefix + ": " + e.getMessage(), e);
        }
    }

    /** A verified checkpoint in memory. */
    public record Loaded(Manifest manifest, byte[] weights) {
    }

    private static Loaded verify(byte[] manifestBytes, byte[] weights, String where) {
        Manifest m;
        try {
            m = JSON.readValue(manifestBytes, Manifest.class);
        } catch (IOException | IllegalArgumentException e) {
            throw new CheckpointException("corrupted checkpoint " + where + ": unreadable " + MANIFEST + " (" + e.getMessage() + ")", e);
        }
        if (FORMAT_1.equals(m.format())) {
            throw new CheckpointException("checkpoint " + where + " (" + m.version() + ") is a format-1 model (ResNet image side, before"
                    + " the MobileNet-based v2); this version cannot run it: use the shipped model or retrain with pir-model/configs/");
        }
        if (!FORMAT.equals(m.format())) {
            throw new CheckpointException("not a PIR checkpoint " + where + ": format '" + m.format() + "', expected '" + FORMAT + "'");
        }
        if (m.model() == null || m.classes() == null || m.version() == null) {
            throw new CheckpointException("corrupted checkpoint " + where + ": manifest lacks model, classes or version");
        }
        String sha = sha256(weights);
        if (!sha.equals(m.weightsSha256())) {
            throw new CheckpointException("corrupted checkpoint " + where + ": " + WEIGHTS + " has SHA-256 " + sha
                    + " but the manifest says " + m.weightsSha256());
        }
        Manifest recomputed = manifest(weights, m.model(), m.classes(), m.vocabulary(), m.textEncoderSha256(), m.metrics());
        if (!recomputed.version().equals(m.version())) {
            throw new CheckpointException("corrupted checkpoint " + where + ": content hash " + recomputed.version()
                    + " does not match the recorded version " + m.version());
        }
        return new Loaded(m, weights);
    }

    /** Hex SHA-256. */
    public static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
