package io.pirstream.embed;

import io.pirstream.schemas.Topic;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.DeadLetter;
import io.pirstream.schemas.avro.Embedding;
import io.pirstream.testkit.EmbeddedKafkaBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Broker-side helpers of the processor's integration tests. */
final class EmbeddedStreams {

    private EmbeddedStreams() {
    }

    static KafkaProducer<String, byte[]> producer(EmbeddedKafkaBroker broker) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"),
                new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer());
    }

    static void send(KafkaProducer<String, byte[]> producer, Topic<String, Chip> topic, Chip chip) {
        producer.send(new ProducerRecord<>(topic.name(), chip.getChipId(),
                topic.valueSerde().serializer().serialize(topic.name(), chip)));
    }

    /** Every committed record of the topic, read until {@code expected} records arrived or the timeout passed. */
    static <K, V> List<ConsumerRecord<K, V>> readCommitted(EmbeddedKafkaBroker broker, Topic<K, V> topic, int expected,
                                                           Duration timeout) {
        List<ConsumerRecord<K, V>> records = new ArrayList<>();
        try (KafkaConsumer<K, V> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "verify-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                topic.keySerde().deserializer(), topic.valueSerde().deserializer())) {
            consumer.subscribe(List.of(topic.name()));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (records.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            drainToEnd(consumer, records::add); // anything beyond the expected count: a duplicate would show here
        }
        return records;
    }

    /**
     * Polls until the consumer has read up to the end of every assigned partition as it stands now (under
     * read_committed, up to the last stable offset: everything committed so far), or 30 s pass.
     */
    static <K, V> void drainToEnd(KafkaConsumer<K, V> consumer, java.util.function.Consumer<ConsumerRecord<K, V>> sink) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        Map<org.apache.kafka.common.TopicPartition, Long> ends = null;
        while (System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(100)).forEach(sink);
            if (consumer.assignment().isEmpty()) {
                continue;
            }
            if (ends == null) {
                ends = consumer.endOffsets(consumer.assignment());
            }
            if (ends.entrySet().stream().allMatch(end -> consumer.position(end.getKey()) >= end.getValue())) {
                return;
            }
        }
        throw new AssertionError("did not reach the end of " + consumer.assignment() + " within 30 s");
    }

    static List<ConsumerRecord<String, Embedding>> embeddings(EmbeddedKafkaBroker broker, Topic<String, Embedding> topic,
                                                              int expected) {
        return readCommitted(broker, topic, expected, Duration.ofSeconds(90));
    }

    static List<ConsumerRecord<byte[], DeadLetter>> deadLetters(EmbeddedKafkaBroker broker, Topic<byte[], DeadLetter> topic,
                                                                int expected) {
        return readCommitted(broker, topic, expected, Duration.ofSeconds(60));
    }
}
