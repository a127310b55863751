package io.pirstream.schemas;

import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.serialization.Serde;

/**
 * A typed topic descriptor: the name, the key and value serdes, and the configuration the topic must be
 * created with. Readers and writers take serdes from here instead of configuring default serdes.
 *
 * @param name topic name
 * @param keySerde serde of the record key
 * @param valueSerde serde of the record value
 * @param partitions partition count a new topic is created with
 * @param configs topic-level configs (cleanup.policy, retention.ms, max.message.bytes, ...)
 */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde, int partitions,
                          Map<String, String> configs) {

    public Topic {
        Objects.requireNonNull(name, "name must not be null");
        Objects.requireNonNull(keySerde, "keySerde must not be null");
        Objects.requireNonNull(valueSerde, "valueSerde must not be null");
        if (name.isBlank()) {
            throw new IllegalArgumentException("topic name must not be blank");
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, got " + partitions + " for " + name);
        }
        configs = Map.copyOf(configs);
    }

    /** The same contract under another name (topic names are configurable per deployment). */
    public Topic<K, V> withName(String newName) {
        return new Topic<>(newName, keySerde, valueSerde, partitions, configs);
    }

    /** The same contract with another partition count. */
    public Topic<K, V> withPartitions(int newPartitions) {
        return new Topic<>(name, keySerde, valueSerde, newPartitions, configs);
    }

    /** Whether the topic is compacted (latest value per key is kept; null values delete). */
    public boolean compacted() {
        return configs.getOrDefault("cleanup.policy", "delete").contains("compact");
    }
}
