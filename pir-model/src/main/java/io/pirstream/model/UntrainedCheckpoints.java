package io.pirstream.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.pirstream.model.nn.BeliefBlock;
import io.pirstream.model.nn.PirNetwork;
import io.pirstream.model.text.WordVocabulary;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Tiny, randomly initialised checkpoints: a real network of the real architecture whose embeddings mean nothing.
 * For tests of the streaming and serving code, whose guarantees do not depend on what embeddings mean; each call
 * gives a new version (fresh random weights), so tests get their own embedding topics.
 */
public final class UntrainedCheckpoints {

    /** Scene classes of the tiny checkpoints. */
    public static final List<String> CLASSES = List.of("forest", "water", "urban");

    private UntrainedCheckpoints() {
    }

    /** The tiny checkpoints' model: 64 px images, a MobileNetV1 at 1/8 width, 16-wide, one layer per side, word tokens. */
    public static ModelConfig tinyConfig() {
        return new ModelConfig(64, "mobilenet_v1", 0.125f, null, 16, 2, 2, 1, 1, BeliefBlock.Strategy.SOFT, 2, ModelConfig.PAE,
                ModelConfig.SCRATCH, 8, 0.07f);
    }

    /** Writes a tiny checkpoint of {@link #tinyConfig()} into {@code dir}. */
    public static Checkpoint.Manifest writeTiny(Path dir) {
        ModelConfig config = tinyConfig();
        WordVocabulary vocabulary = WordVocabulary.build(List.of("a dense green forest", "a harbour with boats",
                "houses and roads", "a lake"), 1, config.maxTokens());
        try (NDManager manager = NDManager.newBaseManager()) {
            PirNetwork network = new PirNetwork(config, CLASSES.size(), vocabulary.vocabularySize());
            network.initialize(manager, DataType.FLOAT32, PirModel.inputShapes(config, vocabulary));
            byte[] weights = Checkpoint.weights(network);
            return Checkpoint.write(dir, weights, Checkpoint.manifest(weights, config, CLASSES, vocabulary.words(), null,
                    Map.of("note", "untrained tiny checkpoint for tests")));
        }
    }
}
