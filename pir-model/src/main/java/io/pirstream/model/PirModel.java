package io.pirstream.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.pirstream.model.data.ImageCodec;
import io.pirstream.model.nn.PirNetwork;
import io.pirstream.model.text.MiniLmTokenStates;
import io.pirstream.model.text.TextFeaturizer;
import io.pirstream.model.text.WordVocabulary;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A trained PIR model ready to embed images and texts into one space, where cosine similarity
 * (a dot product: vectors are unit length) ranks images for a text.
 *
 * <pre>{@code
 * try (PirModel model = PirModel.loadDefault()) {
 *     List<ImageEmbedding> images = model.embedImages(List.of(jpegBytes));
 *     float[][] queries = model.embedTexts(List.of("a lake surrounded by forest"));
 * }
 * }</pre>
 *
 * <p>Thread safety: all methods may be called from any thread. Image batches run one at a time (a batch already
 * uses every kernel thread); text calls may run side by side, with each other but not with an image batch (a text is
 * small work, and a query service with two cores encodes two batches of texts at once). For parallel inference on
 * several devices, load one instance per device.
 */
public final class PirModel implements AutoCloseable {

    /** Classpath location of the shipped checkpoint. */
    public static final String DEFAULT_RESOURCE = "/io/pirstream/model/default";
    /** Images per forward pass inside {@link #embedImages}. */
    public static final int IMAGE_BATCH = 32;

    private final NDManager manager;
    private final PirNetwork network;
    private final ParameterStore parameters;
    private final TextFeaturizer text;
    private final Checkpoint.Manifest manifest;
    private final boolean ownsResources;
    /** Text calls share it; image batches, weights and close hold it alone. */
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;

    private PirModel(NDManager manager, PirNetwork network, TextFeaturizer text, Checkpoint.Manifest manifest, boolean ownsResources) {
        this.manager = manager;
        this.network = network;
        this.parameters = new ParameterStore(manager, false);
        this.text = text;
        this.manifest = manifest;
        this.ownsResources = ownsResources;
    }

    /** Loads a checkpoint folder on the automatically chosen device. */
    public static PirModel load(Path dir) {
        return load(dir, DeviceChoice.AUTO);
    }

    /** Loads a checkpoint folder on the given device. */
    public static PirModel load(Path dir, DeviceChoice device) {
        Objects.requireNonNull(dir, "checkpoint folder must not be null");
        return fromLoaded(Checkpoint.read(dir), device);
    }

    /** Loads the checkpoint shipped with this library (classpath, else {@code pir-model/models/default}). */
    public static PirModel loadDefault() {
        return loadDefault(DeviceChoice.AUTO);
    }

    /** Loads the shipped checkpoint on the given device. */
    public static PirModel loadDefault(DeviceChoice device) {
        if (PirModel.class.getResource(DEFAULT_RESOURCE + "/" + Checkpoint.MANIFEST) != null) {
            return fromLoaded(Checkpoint.readResource(DEFAULT_RESOURCE), device);
        }
        for (Path p : List.of(Path.of("pir-model/src/main/resources" + DEFAULT_RESOURCE), Path.of("src/main/resources" + DEFAULT_RESOURCE))) {
            if (Files.isDirectory(p)) {
                return load(p, device);
            }
        }
        throw new CheckpointException("no shipped checkpoint: neither classpath " + DEFAULT_RESOURCE + " nor the repository copy exists");
    }

    static PirModel fromLoaded(Checkpoint.Loaded loaded, DeviceChoice device) {
        Checkpoint.Manifest m = loaded.manifest();
        Device d = device.resolve();
        NDManager manager = NDManager.newBaseManager(d);
        TextFeaturizer featurizer = null;
        try {
            featurizer = featurizer(m);
            PirNetwork network = new PirNetwork(m.model(), m.classes().size(), featurizer.vocabularySize());
            network.initialize(manager, DataType.FLOAT32, inputShapes(m.model(), featurizer));
            try {
                Checkpoint.load(network, loaded.weights());
            } catch (CheckpointException e) {
                throw new CheckpointException("checkpoint " + m.version() + " does not fit its own config (corrupted or incompatible weights): "
                        + e.getMessage(), e);
            }
            return new PirModel(manager, network, featurizer, m, true);
        } catch (RuntimeException e) {
            manager.close();
            if (featurizer != null) {
                featurizer.close();
            }
            if (e instanceof CheckpointException ce) {
                throw ce;
            }
            throw new CheckpointException("checkpoint " + m.version() + " does not fit its own config (corrupted or incompatible weights): "
                    + e.getMessage(), e);
        }
    }

    private static TextFeaturizer featurizer(Checkpoint.Manifest m) {
        return textFeaturizer(m, false);
    }

    /**
     * The text input a checkpoint was trained with: its word vocabulary, or the frozen sentence encoder (refused when
     * the classpath has another one than the checkpoint recorded).
     *
     * @param cacheStates keep the sentence encoder's states of every text seen (training, where texts repeat)
     */
    public static TextFeaturizer textFeaturizer(Checkpoint.Manifest m, boolean cacheStates) {
        if (ModelConfig.SCRATCH.equals(m.model().textEncoder())) {
            if (m.vocabulary() == null) {
                throw new CheckpointException("checkpoint " + m.version() + " uses the scratch text encoder but has no vocabulary");
            }
            return new WordVocabulary(m.vocabulary(), m.model().maxTokens());
        }
        MiniLmTokenStates states = new MiniLmTokenStates(m.model().maxTokens(), cacheStates);
        if (m.textEncoderSha256() != null && !m.textEncoderSha256().equals(states.modelSha256())) {
            states.close();
            throw new CheckpointException("checkpoint " + m.version() + " was trained on a different all-MiniLM-L6-v2 (SHA-256 "
                    + m.textEncoderSha256() + ", classpath has " + states.modelSha256() + ")");
        }
        return states;
    }

    /** Input shapes used to initialise a network before loading or training. */
    public static Shape[] inputShapes(ModelConfig config, TextFeaturizer featurizer) {
        Shape text = featurizer.vocabularySize() > 0 ? new Shape(2, config.maxTokens())
                : new Shape(2, config.maxTokens(), MiniLmTokenStates.STATE_WIDTH);
        return new Shape[] {new Shape(2, 3, config.imageSize(), config.imageSize()), text, new Shape(2, config.maxTokens())};
    }

    /**
     * Wraps a network that lives in memory (training, evaluation); the caller keeps ownership of
     * the manager, network and featurizer.
     */
    public static PirModel inMemory(NDManager manager, PirNetwork network, TextFeaturizer featurizer, Checkpoint.Manifest manifest) {
        return new PirModel(manager, network, featurizer, manifest, false);
    }

    /** Embeds encoded images (JPEG, PNG, TIFF; refused as {@link ImageCodec#decode} does). */
    public List<ImageEmbedding> embedImages(List<byte[]> encodedImages) {
        Objects.requireNonNull(encodedImages, "images must not be null");
        List<byte[]> rgb = new ArrayList<>(encodedImages.size());
        for (byte[] encoded : encodedImages) {
            rgb.add(pixels(ImageCodec.decode(encoded)));
        }
        return embedPixels(rgb);
    }

    /**
     * The model's input for a decoded image: resized to the input size and packed as RGB bytes for
     * {@link #embedPixels}. No model call and no lock, so callers can prepare the next batch while the model runs.
     */
    public byte[] pixels(BufferedImage image) {
        return ImageCodec.toRgb(Objects.requireNonNull(image, "image must not be null"), imageSize());
    }

    /** Embeds images already resized to {@link ModelConfig#imageSize()} and packed as RGB bytes. */
    public List<ImageEmbedding> embedPixels(List<byte[]> rgb) {
        List<ImageEmbedding> out = new ArrayList<>(rgb.size());
        lock.writeLock().lock();
        try {
            ensureOpen();
            for (int i = 0; i < rgb.size(); i += IMAGE_BATCH) {
                try (NDManager scope = manager.newSubManager()) {
                    NDArray input = ImageCodec.toInput(rgb.subList(i, Math.min(rgb.size(), i + IMAGE_BATCH)), imageSize(), scope);
                    NDList result = network.imageTower().forward(parameters, new NDList(input), false);
                    float[][] vectors = rows(result.get(0));
                    float[][] probabilities = rows(result.get(1));
                    for (int j = 0; j < vectors.length; j++) {
                        out.add(new ImageEmbedding(vectors[j], probabilities[j]));
                    }
                }
            }
        } finally {
            lock.writeLock().unlock();
        }
        return out;
    }

    /** Embeds texts (free text; unseen words are fine). Returns one unit vector per text. */
    public float[][] embedTexts(List<String> texts) {
        Objects.requireNonNull(texts, "texts must not be null");
        lock.readLock().lock();
        try {
            ensureOpen();
            return embedTexts(network, text, manager, texts);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Text embeddings of a network (also for networks in training). */
    public static float[][] embedTexts(PirNetwork network, TextFeaturizer featurizer, NDManager manager, List<String> texts) {
        ParameterStore parameters = new ParameterStore(manager, false);
        float[][] out = new float[texts.size()][];
        for (int i = 0; i < texts.size(); i += 64) {
            try (NDManager scope = manager.newSubManager()) {
                NDList input = featurizer.featurize(texts.subList(i, Math.min(texts.size(), i + 64)), scope);
                float[][] vectors = rows(network.textTower().forward(parameters, input, false).head());
                System.arraycopy(vectors, 0, out, i, vectors.length);
            }
        }
        return out;
    }

    /** The rows of a {@code (n, d)} array. */
    public static float[][] rows(NDArray array) {
        int n = (int) array.getShape().get(0);
        int d = (int) array.getShape().get(1);
        float[] flat = array.toType(DataType.FLOAT32, false).toFloatArray();
        float[][] out = new float[n][d];
        for (int i = 0; i < n; i++) {
            System.arraycopy(flat, i * d, out[i], 0, d);
        }
        return out;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("model is closed");
        }
    }

    /** Content hash of the checkpoint, e.g. {@code pir-3f2a...}. */
    public String version() {
        return manifest.version();
    }

    /** Scene classes, in the order of {@link ImageEmbedding#sceneProbabilities()}. */
    public List<String> sceneClasses() {
        return manifest.classes();
    }

    /** Embedding length. */
    public int dimension() {
        return manifest.model().width();
    }

    /** Network configuration. */
    public ModelConfig config() {
        return manifest.model();
    }

    /** Metrics recorded in the checkpoint. */
    public Map<String, Object> metrics() {
        return manifest.metrics();
    }

    /** The network's parameters as a checkpoint stores them (for round-trip checks). */
    byte[] serializedWeights() {
        lock.writeLock().lock();
        try {
            ensureOpen();
            return Checkpoint.weights(network);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Device the model runs on. */
    public Device device() {
        return manager.getDevice();
    }

    private int imageSize() {
        return manifest.model().imageSize();
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (ownsResources) {
                text.close();
                manager.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}
