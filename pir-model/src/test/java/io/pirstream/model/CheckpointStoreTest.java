package io.pirstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {

    @TempDir
    Path tmp;

    @Test
    void storesACheckpointOnceUnderItsVersionAndOpensItByUriAndHash() {
        Checkpoint.Manifest manifest = UntrainedCheckpoints.writeTiny(tmp.resolve("run"));
        CheckpointStore store = new CheckpointStore(tmp.resolve("store"));

        CheckpointStore.Stored stored = store.store(tmp.resolve("run"));
        CheckpointStore.Stored again = store.store(tmp.resolve("run"));

        assertThat(stored.version()).isEqualTo(manifest.version());
        assertThat(Path.of(stored.uri())).isEqualTo(store.root().resolve(manifest.version()));
        assertThat(again).as("storing the same checkpoint again").isEqualTo(stored);
        assertThat(CheckpointStore.read(stored.uri(), stored.sha256()).manifest().version()).isEqualTo(manifest.version());
        try (var files = java.util.stream.Stream.of(store.root().toFile().list())) {
            assertThat(files.toList()).as("no temporary folder left").containsExactly(manifest.version());
        }
    }

    @Test
    void refusesACheckpointWhoseManifestChangedAfterRelease() throws IOException {
        UntrainedCheckpoints.writeTiny(tmp.resolve("run"));
        CheckpointStore.Stored stored = new CheckpointStore(tmp.resolve("store")).store(tmp.resolve("run"));
        Path manifest = Path.of(stored.uri()).resolve(Checkpoint.MANIFEST);
        Files.writeString(manifest, Files.readString(manifest).replace("untrained", "UNTRAINED"));

        assertThatThrownBy(() -> CheckpointStore.read(stored.uri(), stored.sha256()))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("its release says " + stored.sha256());
    }

    @Test
    void theShippedModelHasABuiltinUri() {
        CheckpointStore.Stored builtin = CheckpointStore.builtin();
        assertThat(builtin.uri()).hasToString(CheckpointStore.BUILTIN);
        assertThat(CheckpointStore.read(builtin.uri(), builtin.sha256()).manifest().version()).isEqualTo(builtin.version());
        assertThatThrownBy(() -> CheckpointStore.read(java.net.URI.create("s3://bucket/x"), builtin.sha256()))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("unsupported checkpoint URI");
    }
}
