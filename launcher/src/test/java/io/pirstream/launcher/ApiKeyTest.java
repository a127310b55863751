package io.pirstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiKeyTest {

    @Test
    void theKeyOfAnEarlierStartIsKeptAndAnUnusableFileIsReplaced(@TempDir Path data) throws IOException {
        Path file = data.resolve("api-key");

        String first = PirStream.apiKey(file);
        assertThat(first).as("a new key").matches("pir_[A-Za-z0-9_-]{32}");
        assertThat(Files.readString(file).strip()).as("saved").isEqualTo(first);
        assertThat(PirStream.apiKey(file)).as("kept across restarts").isEqualTo(first);

        Files.writeString(file, "edited by hand\n");
        String replaced = PirStream.apiKey(file);
        assertThat(replaced).as("an unusable file gets a new key").matches("pir_[A-Za-z0-9_-]{32}").isNotEqualTo(first);
        assertThat(Files.readString(file).strip()).as("saved").isEqualTo(replaced);
    }
}
