package io.pirstream.query.alerts;

import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Alert;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads {@code pir.alerts} for one alert stream: committed alerts only (the matcher writes in transactions), from a
 * cursor, a time, or the end, without a consumer group (each stream has its own position, given by its client).
 * Not thread-safe: one per stream.
 */
public final class AlertReader implements AutoCloseable {

    /** An alert and the cursor just past it. */
    public record Entry(Alert alert, AlertCursor cursor) {
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final Predicate<Alert> wanted;
    private AlertCursor cursor;

    /**
     * @param clientConfig bootstrap servers and security settings
     * @param from where to start: a cursor from {@code Last-Event-ID}, else the first alert at or after {@code since},
     *     else the end (new alerts only)
     * @param wanted which alerts this stream shows (its owner's)
     */
    public AlertReader(Map<String, Object> clientConfig, AlertCursor from, Instant since, Predicate<Alert> wanted) {
        this.wanted = wanted;
        Map<String, Object> config = new HashMap<>(clientConfig);
        config.putAll(Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"));
        this.consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(Topics.ALERTS.name(), Duration.ofSeconds(10)).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        Map<Integer, Long> start = new HashMap<>();
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
        Map<TopicPartition, OffsetAndTimestamp> atTime = since == null ? Map.of()
                : consumer.offsetsForTimes(partitions.stream().collect(java.util.stream.Collectors.toMap(p -> p,
                        p -> since.toEpochMilli())));
        for (TopicPartition partition : partitions) {
            Long position;
            if (from != null) {
                // a partition missing from the cursor was added later: read it from its start
                position = from.next().getOrDefault(partition.partition(), 0L);
            } else if (since != null) {
                OffsetAndTimestamp found = atTime.get(partition);
                position = found == null ? ends.get(partition) : found.offset();
            } else {
                position = ends.get(partition);
            }
            consumer.seek(partition, position);
            start.put(partition.partition(), position);
        }
        this.cursor = new AlertCursor(start);
    }

    /** The cursor after everything read so far (the id a reconnecting client should send). */
    public AlertCursor cursor() {
        return cursor;
    }

    /**
     * The next wanted alerts, waiting up to {@code timeout}. Records that are not readable alerts are skipped here; the
     * webhook dispatcher sends them to the dead-letter topic.
     */
    public List<Entry> poll(Duration timeout) {
        List<Entry> entries = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> record : consumer.poll(timeout)) {
            cursor = cursor.after(record.partition(), record.offset());
            Alert alert;
            try {
                alert = Topics.ALERTS.valueSerde().deserializer().deserialize(record.topic(), record.value());
            } catch (RuntimeException e) {
                continue; // not an alert this release can read: nothing to show a person
            }
            if (alert != null && wanted.test(alert)) {
                entries.add(new Entry(alert, cursor));
            }
        }
        return entries;
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(2));
    }
}
