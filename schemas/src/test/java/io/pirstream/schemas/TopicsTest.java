package io.pirstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TopicsTest {

    @Test
    void embeddingTopicIsNamedByModelVersionAndCompacted() {
        var topic = Topics.embeddings("pir-small-3f2a9c");
        assertThat(topic.name()).as("topic name").isEqualTo("pir.embeddings.pir-small-3f2a9c");
        assertThat(topic.compacted()).as("embeddings are compacted").isTrue();
    }

    @Test
    void modelVersionWithCharactersKafkaRejectsIsRefused() {
        assertThatThrownBy(() -> Topics.embeddings("v1/../x"))
                .as("a version with a slash")
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[A-Za-z0-9._-]");
    }

    @Test
    void coreTopicNamesAreUniqueAndDeletesAreKeptAStatedTime() {
        Set<String> names = new HashSet<>();
        Topics.core().forEach(topic -> assertThat(names.add(topic.name())).as("unique " + topic.name()).isTrue());
        assertThat(Topics.CHIPS.compacted()).as("chips kept for replay, one record per chip").isTrue();
        assertThat(Topics.CHIPS.configs()).as("chips: tombstones kept a stated time")
                .containsEntry("delete.retention.ms", String.valueOf(Topics.DELETE_RETENTION.toMillis()));
        assertThat(Topics.embeddings("v1").configs()).as("embeddings: tombstones kept a stated time")
                .containsEntry("delete.retention.ms", String.valueOf(Topics.DELETE_RETENTION.toMillis()));
        assertThat(Topics.SCENES.compacted()).as("scene manifests compacted").isTrue();
        assertThat(Topics.QUERIES.compacted()).as("standing queries compacted").isTrue();
    }
}
