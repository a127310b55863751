package io.pirstream.query.index;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.schemas.Topic;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Embedding;
import io.pirstream.testkit.EmbeddedKafkaBroker;
import io.pirstream.testkit.EmbeddedKafkaExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local copy of the index away longer than the tombstones' retention is rebuilt from the topic, not resumed. The
 * lost delete is simulated the way compaction leaves it: a chip in the local copy of which the topic keeps no trace
 * (its record and its tombstone both compacted away while the index was offline).
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class StaleIndexIT {

    private static final String MODEL = "v";

    @Test
    void aCopyAwayLongerThanTheTombstonesRetentionIsRebuiltAndAFreshOneResumed(EmbeddedKafkaBroker broker,
                                                                              @TempDir Path stateDir) throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        Topic<String, Embedding> topic = Topics.embeddings(MODEL).withName("pir.embeddings.stale-" + suffix);
        String applicationId = "stale-index-" + suffix;
        broker.ensureTopics(List.of(topic));
        try (KafkaProducer<String, Embedding> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                topic.keySerde().serializer(), topic.valueSerde().serializer())) {
            producer.send(new ProducerRecord<>(topic.name(), "a", VectorIndexTest.embedding("a", 1, 0, null)));
            producer.send(new ProducerRecord<>(topic.name(), "b", VectorIndexTest.embedding("b", 0, 1, null)));
        }
        assertThat(run(broker, topic, applicationId, stateDir)).as("first run indexes the topic")
                .containsExactlyInAnyOrder("a", "b");
        Path store = stateDir.resolve(applicationId).resolve("global").resolve(EmbeddingIndexTopology.STORE);
        assertThat(store.resolve(VectorStore.CURRENT_AT_FILE)).as("the flush recorded when it was current").exists();

        // while offline: chip "gone" was written and deleted, and compaction removed both from the topic
        try (VectorIndex index = VectorIndex.open(store, 3, 50)) {
            index.upsert(VectorIndexTest.embedding("gone", 1, 1, null));
            index.commit();
        }

        assertThat(VectorStore.discardIfStale(stateDir, applicationId, Instant.now(), VectorStore.MAX_OFFLINE))
                .as("a copy current moments ago is resumed").isEmpty();
        assertThat(run(broker, topic, applicationId, stateDir)).as("resumed: the lost delete is still there")
                .containsExactlyInAnyOrder("a", "b", "gone");

        Files.writeString(store.resolve(VectorStore.CURRENT_AT_FILE),
                Instant.now().minus(Topics.DELETE_RETENTION).toString());
        Optional<String> why = VectorStore.discardIfStale(stateDir, applicationId, Instant.now(), VectorStore.MAX_OFFLINE);
        assertThat(why).as("a copy away as long as the tombstones' retention is discarded, saying why").hasValueSatisfying(
                w -> assertThat(w).contains("last current at").contains("rebuilding it from the topic"));
        assertThat(run(broker, topic, applicationId, stateDir)).as("rebuilt from the topic: the deleted chip is gone")
                .containsExactlyInAnyOrder("a", "b");
    }

    @Test
    void aCopyThatCannotSayWhenItWasCurrentIsRebuilt(@TempDir Path stateDir) throws Exception {
        Path store = Files.createDirectories(stateDir.resolve("app").resolve("global").resolve(EmbeddingIndexTopology.STORE));
        assertThat(VectorStore.discardIfStale(stateDir, "app", Instant.now(), VectorStore.MAX_OFFLINE))
                .as("no marker (an index of an older version)").hasValueSatisfying(w -> assertThat(w)
                        .contains("does not say when it was last current"));
        assertThat(store).as("deleted").doesNotExist();
        assertThat(VectorStore.discardIfStale(stateDir, "app", Instant.now(), VectorStore.MAX_OFFLINE))
                .as("nothing local: nothing to do").isEmpty();
    }

    /** Runs the index until it has restored its topic, and returns which of the test's chips it then holds. */
    private static Set<String> run(EmbeddedKafkaBroker broker, Topic<String, Embedding> topic, String applicationId,
                                   Path stateDir) throws InterruptedException {
        EmbeddingIndexTopology.Built built = EmbeddingIndexTopology.build(topic, 3, MODEL, Duration.ofMillis(20),
                letter -> { }, embedding -> { }, applicationId);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.globalConsumerPrefix(ConsumerConfig.ISOLATION_LEVEL_CONFIG), "read_committed");
        try (KafkaStreams streams = new KafkaStreams(built.topology(), props)) {
            streams.start();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (streams.state() != KafkaStreams.State.RUNNING || built.store().index() == null
                    || built.store().index().size() < 2) {
                assertThat(System.nanoTime()).as("index running with its topic restored within 60 s").isLessThan(deadline);
                Thread.sleep(50);
            }
            VectorIndex index = built.store().index();
            index.refresh();
            return java.util.stream.Stream.of("a", "b", "gone").filter(id -> index.get(id).isPresent())
                    .collect(java.util.stream.Collectors.toSet());
        }
    }
}
