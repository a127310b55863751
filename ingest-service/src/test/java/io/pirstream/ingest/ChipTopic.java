package io.pirstream.ingest;

import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.testkit.quarkus.EmbeddedKafkaResource;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/** Reads the chips topic of the embedded broker the way a downstream reader does (read_committed). */
final class ChipTopic {

    private ChipTopic() {
    }

    /** Sum of the end offsets of every partition: unchanged means nothing at all was written. */
    static long endOffsetSum() throws Exception {
        try (Admin admin = EmbeddedKafkaResource.broker().admin()) {
            var partitions = admin.describeTopics(List.of(Topics.CHIPS.name())).allTopicNames().get()
                    .get(Topics.CHIPS.name()).partitions();
            Map<TopicPartition, OffsetSpec> request = partitions.stream().collect(Collectors.toMap(
                    p -> new TopicPartition(Topics.CHIPS.name(), p.partition()), p -> OffsetSpec.latest()));
            // a committed upload's transaction markers land a moment after its commit returns: wait until no
            // transaction is open on the topic (the last stable offsets reach the ends), so the sum is settled
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                long latest = sum(admin.listOffsets(request).all().get());
                long stable = sum(admin.listOffsets(request, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                        .all().get());
                if (latest == stable || System.nanoTime() > deadline) {
                    return latest;
                }
                Thread.sleep(20);
            }
        }
    }

    private static long sum(Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> offsets) {
        return offsets.values().stream().mapToLong(ListOffsetsResult.ListOffsetsResultInfo::offset).sum();
    }

    /**
     * The keys of every committed chip, read to the end of the topic as a read_committed reader sees it (the last
     * stable offsets, once no transaction is open).
     */
    static Set<String> committedKeys() throws Exception {
        endOffsetSum(); // waits for open transactions to end
        Set<String> keys = new HashSet<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, EmbeddedKafkaResource.broker().bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MAX_MESSAGE_BYTES),
                new org.apache.kafka.common.serialization.StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.CHIPS.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("could not read " + Topics.CHIPS.name() + " to its end within 30 s");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(record -> keys.add(record.key()));
            }
        }
        return keys;
    }

    /** Every committed chip with one of the given keys (the latest per key), waiting up to 30 s for all. */
    static Map<String, Chip> read(Collection<String> keys) {
        Set<String> wanted = new HashSet<>(keys);
        Map<String, Chip> found = new LinkedHashMap<>();
        try (KafkaConsumer<String, Chip> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, EmbeddedKafkaResource.broker().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "ingest-test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MAX_MESSAGE_BYTES),
                Topics.CHIPS.keySerde().deserializer(), Topics.CHIPS.valueSerde().deserializer())) {
            consumer.subscribe(List.of(Topics.CHIPS.name()));
            long deadline = System.currentTimeMillis() + 30_000;
            while (!found.keySet().containsAll(wanted) && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(record -> {
                    if (wanted.contains(record.key())) {
                        found.put(record.key(), record.value());
                    }
                });
            }
        }
        return found;
    }

    /**
     * The latest committed value of every key of {@code topic} (null for a tombstone), read to the end as a
     * read_committed reader sees it once no transaction is open.
     */
    static <V> Map<String, V> latest(io.pirstream.schemas.Topic<String, V> topic) throws Exception {
        endOffsetSum(); // waits for open transactions on the chips topic to end (uploads write both topics at once)
        Map<String, V> latest = new java.util.HashMap<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, EmbeddedKafkaResource.broker().bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MAX_MESSAGE_BYTES),
                topic.keySerde().deserializer(), topic.valueSerde().deserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("could not read " + topic.name() + " to its end within 30 s");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(record -> latest.put(record.key(), record.value()));
            }
        }
        return latest;
    }
}
