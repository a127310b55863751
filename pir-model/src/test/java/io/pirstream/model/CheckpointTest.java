package io.pirstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.XavierInitializer;
import io.pirstream.model.data.ImageCodec;
import io.pirstream.model.nn.BeliefBlock;
import io.pirstream.model.nn.PirNetwork;
import io.pirstream.model.synth.SyntheticScenes;
import io.pirstream.model.text.WordVocabulary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Save/load round trip and every kind of broken checkpoint. */
class CheckpointTest {

    private static final List<String> CLASSES = List.of("field", "forest", "water");
    /** Largest difference allowed between two forward passes over the same weights (unit vectors, float32). */
    private static final float TOLERANCE = 1e-5f;

    @TempDir
    Path dir;

    private final ModelConfig config = TinyModels.config(ModelConfig.SCRATCH, BeliefBlock.Strategy.SOFT);
    private WordVocabulary vocabulary;
    private List<byte[]> images;
    private List<String> texts;

    @BeforeEach
    void data() {
        vocabulary = WordVocabulary.build(List.of("a forest of trees", "a lake", "green fields"), 1, config.maxTokens());
        images = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            images.add(ImageCodec.toRgb(SyntheticScenes.generate(i, 64).image(), config.imageSize()));
        }
        texts = List.of("a forest of trees", "a lake next to green fields", "words never seen before");
    }

    /** Writes a freshly initialised tiny model; returns its in-memory embeddings. */
    private Map<String, Object> writeTinyModel(Path target) {
        Engine.getInstance().setRandomSeed(3);
        try (NDManager manager = NDManager.newBaseManager()) {
            PirNetwork network = new PirNetwork(config, CLASSES.size(), vocabulary.vocabularySize());
            network.setInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
            network.initialize(manager, DataType.FLOAT32, PirModel.inputShapes(config, vocabulary));
            byte[] weights = Checkpoint.weights(network);
            Checkpoint.Manifest manifest = Checkpoint.manifest(weights, config, CLASSES, vocabulary.words(), null, Map.of("note", "test"));
            Checkpoint.write(target, weights, manifest);
            PirModel model = PirModel.inMemory(manager, network, vocabulary, manifest);
            List<ImageEmbedding> full = model.embedPixels(images);
            // the checkpoint stores float16: give the in-memory network the stored values, as a loaded one has them
            Checkpoint.load(network, weights);
            return Map.of("images", model.embedPixels(images), "texts", model.embedTexts(texts), "version", manifest.version(),
                    "weights", weights, "float32Images", full);
        }
    }

    /**
     * What a checkpoint must preserve: the stored weights bit for bit, and therefore the embeddings up to float32 rounding.
     * PyTorch's CPU kernels pick their code path by CPU features, alignment and thread count, so two forward passes
     * over identical weights may differ in the last bits; only the weights are compared exactly.
     */
    @Test
    @SuppressWarnings("unchecked")
    void roundTripKeepsTheWeightsAndTheEmbeddings() {
        Map<String, Object> before = writeTinyModel(dir);
        try (PirModel loaded = PirModel.load(dir, DeviceChoice.CPU)) {
            assertThat(Checkpoint.sha256(loaded.serializedWeights())).as("weights re-serialised after loading are the written bytes")
                    .isEqualTo(Checkpoint.sha256((byte[]) before.get("weights")));
            List<ImageEmbedding> after = loaded.embedPixels(images);
            List<ImageEmbedding> expected = (List<ImageEmbedding>) before.get("images");
            for (int i = 0; i < images.size(); i++) {
                assertThat(after.get(i).vector()).as("image %d vector", i).containsExactly(expected.get(i).vector(), within(TOLERANCE));
                assertThat(after.get(i).sceneProbabilities()).as("image %d probabilities", i)
                        .containsExactly(expected.get(i).sceneProbabilities(), within(TOLERANCE));
            }
            float[][] textAfter = loaded.embedTexts(texts);
            float[][] textBefore = (float[][]) before.get("texts");
            for (int i = 0; i < texts.size(); i++) {
                assertThat(textAfter[i]).as("text %d vector", i).containsExactly(textBefore[i], within(TOLERANCE));
                for (int a = 0; a < images.size(); a++) {
                    for (int b = 0; b < images.size(); b++) {
                        double gapBefore = dot(textBefore[i], expected.get(a).vector()) - dot(textBefore[i], expected.get(b).vector());
                        double gapAfter = dot(textAfter[i], after.get(a).vector()) - dot(textAfter[i], after.get(b).vector());
                        if (gapBefore > 4 * TOLERANCE) {
                            // pairs closer than rounding can move them may swap; any other pair keeps its order
                            assertThat(gapAfter).as("text %d still ranks image %d above image %d", i, a, b).isPositive();
                        }
                    }
                }
            }
            assertThat(loaded.version()).as("version is the content hash").isEqualTo(before.get("version")).startsWith("pir-");
            assertThat(loaded.sceneClasses()).as("classes").isEqualTo(CLASSES);
            assertThat(loaded.dimension()).as("dimension").isEqualTo(config.width());
        }
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** Float16 storage moves embeddings far less than retrieval can notice. */
    @Test
    @SuppressWarnings("unchecked")
    void float16StorageKeepsEmbeddingsClose() {
        Map<String, Object> written = writeTinyModel(dir);
        List<ImageEmbedding> stored = (List<ImageEmbedding>) written.get("images");
        List<ImageEmbedding> float32 = (List<ImageEmbedding>) written.get("float32Images");
        for (int i = 0; i < images.size(); i++) {
            assertThat(stored.get(i).vector()).as("image %d: float16 weights vs float32", i).containsExactly(float32.get(i).vector(), within(1e-2f));
        }
    }

    @Test
    void corruptedWeightsAreDetected() throws IOException {
        writeTinyModel(dir);
        byte[] weights = Files.readAllBytes(dir.resolve(Checkpoint.WEIGHTS));
        weights[weights.length / 2] ^= 0x5a;
        Files.write(dir.resolve(Checkpoint.WEIGHTS), weights);
        assertThatThrownBy(() -> PirModel.load(dir)).as("flipped byte").isInstanceOf(CheckpointException.class)
                .hasMessageContaining("corrupted").hasMessageContaining("SHA-256");
    }

    @Test
    void partialCheckpointIsDetected() throws IOException {
        writeTinyModel(dir);
        Files.delete(dir.resolve(Checkpoint.WEIGHTS));
        assertThatThrownBy(() -> PirModel.load(dir)).as("missing weights").isInstanceOf(CheckpointException.class)
                .hasMessageContaining("incomplete");
        assertThatThrownBy(() -> PirModel.load(dir.resolve("nowhere"))).as("missing folder").isInstanceOf(CheckpointException.class)
                .hasMessageContaining("not found");
    }

    @Test
    void truncatedWeightsWithAConsistentManifestAreRejected() throws IOException {
        writeTinyModel(dir);
        byte[] weights = Files.readAllBytes(dir.resolve(Checkpoint.WEIGHTS));
        byte[] truncated = Arrays.copyOf(weights, weights.length / 2);
        Checkpoint.write(dir, truncated, Checkpoint.manifest(truncated, config, CLASSES, vocabulary.words(), null, Map.of()));
        assertThatThrownBy(() -> PirModel.load(dir)).as("weights that do not fit the config").isInstanceOf(CheckpointException.class)
                .hasMessageContaining("does not fit");
    }

    @Test
    void wrongFormatAndTamperedManifestAreRejected() throws IOException {
        writeTinyModel(dir);
        Path manifest = dir.resolve(Checkpoint.MANIFEST);
        String original = Files.readString(manifest);
        Files.writeString(manifest, original.replace(Checkpoint.FORMAT, "something-else/9"));
        assertThatThrownBy(() -> PirModel.load(dir)).as("wrong format").hasMessageContaining("not a PIR checkpoint");
        Files.writeString(manifest, original.replace("\"field\"", "\"meadow\""));
        assertThatThrownBy(() -> PirModel.load(dir)).as("tampered classes").hasMessageContaining("does not match the recorded version");
        Files.writeString(manifest, "{ not json");
        assertThatThrownBy(() -> PirModel.load(dir)).as("unreadable manifest").hasMessageContaining("unreadable");
    }
}
