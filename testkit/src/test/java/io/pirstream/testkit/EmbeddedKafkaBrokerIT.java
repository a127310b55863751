package io.pirstream.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaBrokerIT {

    @Test
    void topicsSurviveARestartOnAPersistentDataDirectory(@TempDir Path dir) throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().optDataDir(dir).build().start()) {
            broker.ensureTopics(List.of(Topics.MODELS));
        }
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().optDataDir(dir).build().start();
             Admin admin = broker.admin()) {
            assertThat(admin.listTopics().names().get()).as("topics after restart").contains(Topics.MODELS.name());
        }
        assertThat(Files.exists(dir.resolve("meta.properties"))).as("persistent data dir kept").isTrue();
    }

    @Test
    void temporaryDataDirectoryIsDeletedOnClose() {
        Path dir;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build().start()) {
            dir = broker.dataDir();
            assertThat(Files.exists(dir)).as("data dir while running").isTrue();
        }
        assertThat(Files.exists(dir)).as("temporary data dir after close").isFalse();
    }
}
