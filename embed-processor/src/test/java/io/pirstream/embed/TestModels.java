package io.pirstream.embed;

import io.pirstream.model.PirModel;
import io.pirstream.model.UntrainedCheckpoints;
import java.nio.file.Path;
import java.util.List;

/**
 * A tiny, untrained but real PIR model (PyTorch through DJL) for plumbing tests: the processor's guarantees do
 * not depend on what the embeddings mean, and a tiny network keeps tests fast.
 */
final class TestModels {

    static final List<String> CLASSES = UntrainedCheckpoints.CLASSES;

    private TestModels() {
    }

    /** Writes a tiny checkpoint into {@code dir} and returns it loaded. */
    static PirModel tiny(Path dir) {
        UntrainedCheckpoints.writeTiny(dir);
        return PirModel.load(dir);
    }
}
