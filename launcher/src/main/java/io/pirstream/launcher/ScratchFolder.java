package io.pirstream.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.kafka.common.utils.Utils;

/**
 * A benchmark's data folder (broker log, state stores, spooled uploads: a few hundred MB a run), deleted when the JVM
 * exits, so that benchmark runs do not fill the temporary folder.
 */
final class ScratchFolder {

    private ScratchFolder() {
    }

    static Path create(String prefix) throws IOException {
        Path folder = Files.createTempDirectory(prefix);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                Utils.delete(folder.toFile());
            } catch (IOException e) {
                throw new UncheckedIOException("Could not delete the benchmark's data folder " + folder, e);
            }
        }, "delete-" + folder.getFileName()));
        return folder;
    }
}
