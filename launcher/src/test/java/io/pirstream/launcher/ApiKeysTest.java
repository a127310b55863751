package io.pirstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiKeysTest {

    @Test
    void oneKeyPerRoleEachReadableByItsOwnerOnly(@TempDir Path data) throws IOException {
        Path folder = data.resolve("keys");

        ApiKeys keys = ApiKeys.load(folder);

        assertThat(keys.all()).as("three different keys").hasSize(3);
        assertThat(keys.ingest()).as("ingest key").matches("pir_ingest_[A-Za-z0-9_-]{32}");
        assertThat(keys.analyst()).as("analyst key").matches("pir_analyst_[A-Za-z0-9_-]{32}");
        assertThat(keys.operator()).as("operator key").matches("pir_operator_[A-Za-z0-9_-]{32}");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(folder))).as("key folder")
                .isEqualTo("rwx------");
        for (String role : new String[] {"ingest", "analyst", "operator"}) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(folder.resolve(role))))
                    .as("permissions of the %s key", role).isEqualTo("rw-------");
        }
        try (var files = Files.list(folder)) {
            assertThat(files.map(f -> f.getFileName().toString())).as("no temporary file left")
                    .containsExactlyInAnyOrder("ingest", "analyst", "operator");
        }
        assertThat(keys.toString()).as("toString never shows a key").doesNotContain(keys.ingest())
                .doesNotContain(keys.analyst()).doesNotContain(keys.operator());
    }

    @Test
    void keysOfAnEarlierStartAreKeptAndAnUnusableFileIsReplaced(@TempDir Path data) throws IOException {
        Path folder = data.resolve("keys");
        ApiKeys first = ApiKeys.load(folder);

        assertThat(ApiKeys.load(folder)).as("kept across restarts").isEqualTo(first);

        Files.writeString(folder.resolve("analyst"), "edited by hand\n");
        Files.writeString(folder.resolve("ingest"), first.operator()); // another role's key is not this role's
        ApiKeys replaced = ApiKeys.load(folder);
        assertThat(replaced.analyst()).as("an unusable file gets a new key").isNotEqualTo(first.analyst())
                .matches("pir_analyst_.*");
        assertThat(replaced.ingest()).as("a key of another role is replaced").isNotEqualTo(first.operator())
                .matches("pir_ingest_.*");
        assertThat(replaced.operator()).as("the others are kept").isEqualTo(first.operator());
        assertThat(Files.readString(folder.resolve("analyst")).strip()).as("saved").isEqualTo(replaced.analyst());
    }

    @Test
    void filesLeftReadableByOthersAreRestricted(@TempDir Path data) throws IOException {
        Path folder = Files.createDirectories(data.resolve("keys"));
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
        ApiKeys first = ApiKeys.load(folder);
        Files.setPosixFilePermissions(folder.resolve("ingest"), PosixFilePermissions.fromString("rw-r--r--"));

        assertThat(ApiKeys.load(folder)).as("still the same keys").isEqualTo(first);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(folder))).as("folder")
                .isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(folder.resolve("ingest"))))
                .as("key file").isEqualTo("rw-------");
    }
}
