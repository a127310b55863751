package io.pirstream.embed;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.pirstream.model.Checkpoint;
import io.pirstream.model.ModelConfig;
import io.pirstream.model.PirModel;
import io.pirstream.model.nn.BeliefBlock;
import io.pirstream.model.nn.PirNetwork;
import io.pirstream.model.text.WordVocabulary;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A tiny, untrained but real PIR checkpoint (PyTorch through DJL) for plumbing tests: the processor's
 * guarantees do not depend on what the embeddings mean, and a tiny network keeps tests fast.
 */
final class TestModels {

    static final List<String> CLASSES = List.of("forest", "water", "urban");

    private TestModels() {
    }

    /** Writes the checkpoint into {@code dir} and returns it loaded. */
    static PirModel tiny(Path dir) {
        ModelConfig config = new ModelConfig(32, new int[] {8, 8, 16, 16}, new int[] {8, 8, 16, 16}, 1, 16, 2, 2, 1, 1,
                BeliefBlock.Strategy.SOFT, 2, ModelConfig.SCRATCH, 8, 0.07f);
        WordVocabulary vocabulary = WordVocabulary.build(List.of("a forest of trees", "a lake", "houses"), 1,
                config.maxTokens());
        try (NDManager manager = NDManager.newBaseManager()) {
            PirNetwork network = new PirNetwork(config, CLASSES.size(), vocabulary.vocabularySize());
            network.initialize(manager, DataType.FLOAT32, PirModel.inputShapes(config, vocabulary));
            byte[] weights = Checkpoint.weights(network);
            Checkpoint.write(dir, weights, Checkpoint.manifest(weights, config, CLASSES, vocabulary.words(), null,
                    Map.of("note", "untrained test model")));
        }
        return PirModel.load(dir);
    }
}
