package io.pirstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
            return Map.of("images", model.embedPixels(images), "texts", model.embedTexts(texts), "version", manifest.version());
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void roundTripReproducesEmbeddingsBitForBit() {
        Map<String, Object> before = writeTinyModel(dir);
        try (PirModel loaded = PirModel.load(dir, DeviceChoice.CPU)) {
            List<ImageEmbedding> after = loaded.embedPixels(images);
            List<ImageEmbedding> expected = (List<ImageEmbedding>) before.get("images");
            for (int i = 0; i < images.size(); i++) {
                assertThat(after.get(i).vector()).as("image %d vector bits", i).containsExactly(expected.get(i).vector());
                assertThat(after.get(i).sceneProbabilities()).as("image %d probabilities", i).containsExactly(expected.get(i).sceneProbabilities());
            }
            float[][] textAfter = loaded.embedTexts(texts);
            float[][] textBefore = (float[][]) before.get("texts");
            for (int i = 0; i < texts.size(); i++) {
                assertThat(textAfter[i]).as("text %d vector bits", i).containsExactly(textBefore[i]);
            }
            assertThat(loaded.version()).as("version is the content hash").isEqualTo(before.get("version")).startsWith("pir-");
            assertThat(loaded.sceneClasses()).as("classes").isEqualTo(CLASSES);
            assertThat(loaded.dimension()).as("dimension").isEqualTo(config.width());
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
