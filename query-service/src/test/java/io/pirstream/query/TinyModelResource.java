package io.pirstream.query;

import io.pirstream.model.UntrainedCheckpoints;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Gives the service a tiny untrained checkpoint and a fresh state directory. */
public class TinyModelResource implements QuarkusTestResourceLifecycleManager {

    static Path checkpoint;

    @Override
    public Map<String, String> start() {
        try {
            checkpoint = Files.createTempDirectory("pirstream-tiny-model-");
            UntrainedCheckpoints.writeTiny(checkpoint);
            Path state = Files.createTempDirectory("pirstream-query-state-");
            return Map.of("pirstream.query.checkpoint", checkpoint.toString(), "pirstream.query.state-dir", state.toString(),
                    "pirstream.query.application-id", "query-it-" + System.nanoTime());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        // temp folders are small; the OS cleans them
    }
}
