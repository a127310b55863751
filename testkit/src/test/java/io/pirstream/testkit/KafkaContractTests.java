package io.pirstream.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.schemas.Topic;
import io.pirstream.schemas.TopicAdmin;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.ImageFormat;
import io.pirstream.schemas.avro.PixelWindow;
import io.pirstream.schemas.avro.Source;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * The topic contracts checked against a real broker. Subclasses say which broker: the embedded one, or one in
 * a container, so the same checks run against both.
 */
abstract class KafkaContractTests {

    /** {@code host:port} of the broker under test. */
    abstract String bootstrapServers();

    private static List<Topic<?, ?>> uniqueCoreTopics() {
        String suffix = "." + UUID.randomUUID();
        return Topics.core().stream().<Topic<?, ?>>map(topic -> topic.withName(topic.name() + suffix)).toList();
    }

    private Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
    }

    @Test
    void ensureTopicsCreatesEveryTopicOnceWithItsContractConfig() throws Exception {
        List<Topic<?, ?>> topics = uniqueCoreTopics();
        try (Admin admin = admin()) {
            TopicAdmin topicAdmin = new TopicAdmin(admin, (short) 1, Duration.ofSeconds(30));

            TopicAdmin.Report first = topicAdmin.ensure(topics);
            TopicAdmin.Report second = topicAdmin.ensure(topics);

            List<String> names = topics.stream().map(Topic::name).toList();
            assertThat(first.created()).as("first run creates every topic").containsExactlyElementsOf(names);
            assertThat(second.created()).as("second run creates nothing").isEmpty();
            assertThat(second.unchanged()).as("second run finds every topic as contracted")
                    .containsExactlyInAnyOrderElementsOf(names);
            assertThat(second.consistent()).as("no mismatches: " + second.mismatches()).isTrue();
        }
    }

    @Test
    void ensureTopicsReportsAnExistingTopicThatBreaksTheContract() throws Exception {
        Topic<String, Chip> chips = Topics.CHIPS.withName("pir.chips." + UUID.randomUUID());
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(chips.name(), 2, (short) 1)
                    .configs(Map.of("cleanup.policy", "delete")))).all().get(); // as before chips were compacted

            TopicAdmin.Report report = new TopicAdmin(admin, (short) 1, Duration.ofSeconds(30)).ensure(List.of(chips));

            assertThat(report.consistent()).as("mismatch detected").isFalse();
            assertThat(report.mismatches()).as("mismatch message").singleElement().asString()
                    .contains(chips.name())
                    .contains("partitions 2 (contract: 6)")
                    .contains("cleanup.policy=delete (contract: compact)");
        }
    }

    @Test
    void ensureTopicsReportsAReplicationFactorOtherThanThePolicy() throws Exception {
        Topic<String, Chip> chips = Topics.CHIPS.withName("pir.chips." + UUID.randomUUID());
        try (Admin admin = admin()) {
            new TopicAdmin(admin, (short) 1, Duration.ofSeconds(30)).ensure(List.of(chips));

            // a single broker: the policy's default resolves to 1, and a policy of 2 finds the topic short of it
            assertThat(TopicAdmin.replicationFactor(admin, TopicAdmin.AUTO_REPLICATION, Duration.ofSeconds(30)))
                    .as("min(3, brokers) on one broker").isEqualTo((short) 1);
            TopicAdmin.Report report = new TopicAdmin(admin, (short) 2, Duration.ofSeconds(30)).ensure(List.of(chips));

            assertThat(report.mismatches()).as("replication drift reported").singleElement().asString()
                    .contains(chips.name()).contains("replication factor 1 (pirstream.kafka.replication-factor: 2)");
        }
    }

    @Test
    void avroRecordsSurviveABrokerAndAbortedTransactionsStayInvisible() throws Exception {
        Topic<String, Chip> chips = Topics.CHIPS.withName("pir.chips." + UUID.randomUUID()).withPartitions(1);
        try (Admin admin = admin()) {
            new TopicAdmin(admin, (short) 1, Duration.ofSeconds(30)).ensure(List.of(chips));
        }
        Map<String, Object> producerConfig = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "contract-" + UUID.randomUUID());
        try (KafkaProducer<String, Chip> producer = new KafkaProducer<>(producerConfig,
                chips.keySerde().serializer(), chips.valueSerde().serializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(chips.name(), "aborted", chip("aborted")));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(chips.name(), "committed", chip("committed")));
            producer.commitTransaction();
        }

        List<ConsumerRecord<String, Chip>> records = new ArrayList<>();
        try (KafkaConsumer<String, Chip> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "contract-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                chips.keySerde().deserializer(), chips.valueSerde().deserializer())) {
            consumer.subscribe(List.of(chips.name()));
            long deadline = System.currentTimeMillis() + 30_000;
            while (records.isEmpty() && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            consumer.poll(Duration.ofMillis(500)).forEach(records::add);
        }
        assertThat(records).as("only the committed record is visible").singleElement()
                .satisfies(record -> {
                    assertThat(record.key()).as("key").isEqualTo("committed");
                    assertThat(record.value()).as("value decoded from Avro").isEqualTo(chip("committed"));
                });
    }

    static Chip chip(String id) {
        return Chip.newBuilder().setChipId(id).setSceneId("scene")
                .setImage(ByteBuffer.wrap(new byte[] {1, 2, 3})).setFormat(ImageFormat.PNG)
                .setWidth(256).setHeight(256).setWindow(new PixelWindow(0, 0, 256, 256))
                .setSceneWidth(256).setSceneHeight(256).setSource(Source.DRONE).setPlatform("test-drone")
                .setCapturedAt(Instant.ofEpochMilli(1_700_000_000_000L))
                .setIngestedAt(Instant.ofEpochMilli(1_700_000_001_000L)).build();
    }
}
