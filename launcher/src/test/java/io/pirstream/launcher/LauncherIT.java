package io.pirstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.model.UntrainedCheckpoints;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The README's first command, end to end: broker, topics, services, one frame through to Kafka; no secret logged. */
class LauncherIT {

    /** Plumbing only, so a tiny untrained model is enough: ingest -> Kafka -> embed -> index -> search. */
    @Test
    void embeddedDefaultTakesAFrameFromUploadToSearch(@TempDir Path data, @TempDir Path model) throws Exception {
        UntrainedCheckpoints.writeTiny(model);
        Path home = Path.of("..").toAbsolutePath().normalize();
        int status = new CommandLine(new PirStream()).execute("--home", home.toString(), "--data-dir", data.toString(),
                "--kafka-port", "0", "--ingest-port", "0", "--embed-port", "0", "--query-port", "0",
                "--checkpoint", model.toString(), "--smoke");
        assertThat(status).as("exit status of pirstream --smoke (0: a frame went from HTTP upload to search results)")
                .isZero();

        ApiKeys keys = ApiKeys.load(data.resolve("keys"));
        assertThat(LogLeaks.find(data.resolve("logs"), keys.all()))
                .as("service log lines with an API key, a credential or image bytes").isEmpty();
    }
}
