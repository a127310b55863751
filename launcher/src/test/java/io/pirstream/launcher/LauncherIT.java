package io.pirstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The README's first command, end to end: broker, topics, services, one frame through to Kafka. */
class LauncherIT {

    @Test
    void embeddedDefaultIngestsAFrameEndToEnd(@TempDir Path data) {
        Path home = Path.of("..").toAbsolutePath().normalize();
        int status = new CommandLine(new PirStream()).execute("--home", home.toString(), "--data-dir", data.toString(),
                "--kafka-port", "0", "--ingest-port", "0", "--smoke");
        assertThat(status).as("exit status of pirstream --smoke (0: a frame went through HTTP to the chips topic)")
                .isZero();
    }
}
