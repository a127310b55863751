package io.pirstream.query.alerts;

import io.pirstream.schemas.DeadLetters;
import io.pirstream.schemas.Topic;
import io.pirstream.schemas.avro.DeadLetter;
import io.pirstream.schemas.avro.StandingQuery;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.BatchingStateRestoreCallback;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * Every standing query, as a Kafka Streams global store fed by {@code pir.queries}: each instance holds them all,
 * for the subscriptions API (records without their vectors) and, for the matcher's model version, in the
 * {@link SubscriptionMatrix}. In memory only: on start it is rebuilt from the compacted topic, which holds one
 * record per live subscription. Records it cannot read become dead letters; subscriptions of another model version
 * are listed but not matched (their own matcher matches them).
 */
public final class SubscriptionStore implements StateStore {

    private final String name;
    private final String modelVersion;
    private final SubscriptionMatrix matrix;
    private final Topic<String, StandingQuery> topic;
    private final Consumer<DeadLetter> deadLetters;
    private final String processor;
    private final Map<String, StandingQuery> all = new ConcurrentHashMap<>();
    private volatile boolean open;

    public SubscriptionStore(String name, String modelVersion, int dimension, Topic<String, StandingQuery> topic,
                             Consumer<DeadLetter> deadLetters, String processor) {
        this.name = name;
        this.modelVersion = modelVersion;
        this.matrix = new SubscriptionMatrix(dimension);
        this.topic = topic;
        this.deadLetters = deadLetters;
        this.processor = processor;
    }

    public SubscriptionMatrix matrix() {
        return matrix;
    }

    /** The subscription, without its vector. */
    public Optional<StandingQuery> get(String subscriptionId) {
        return Optional.ofNullable(all.get(subscriptionId));
    }

    /** Every subscription, without vectors. */
    public Collection<StandingQuery> all() {
        return all.values();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        context.register(root, new BatchingStateRestoreCallback() {
            @Override
            public void restoreAll(Collection<KeyValue<byte[], byte[]>> records) {
                records.forEach(record -> apply(record.key == null ? null : new String(record.key, StandardCharsets.UTF_8),
                        record.value, "restore", -1, -1L));
            }

            @Override
            public void restore(byte[] key, byte[] value) {
                restoreAll(List.of(KeyValue.pair(key, value)));
            }
        });
        open = true;
    }

    /** Applies one record of the topic: a value adds or replaces, a tombstone deletes. */
    void apply(String key, byte[] value, String source, int partition, long offset) {
        try {
            if (key == null) {
                throw new IllegalArgumentException("standing query without a key: records are keyed by subscription id");
            }
            if (value == null) {
                all.remove(key);
                matrix.remove(key);
                return;
            }
            StandingQuery query = topic.valueSerde().deserializer().deserialize(topic.name(), value);
            if (!key.equals(query.getSubscriptionId())) {
                throw new IllegalArgumentException("record key " + key + " differs from its subscriptionId "
                        + query.getSubscriptionId());
            }
            if (modelVersion.equals(query.getModelVersion())) {
                matrix.put(query);
            } else {
                matrix.remove(key); // re-encoded by another version: no longer this matcher's
            }
            // the vector lives in the matrix only; cleared in place, since a builder copy would resolve record
            // classes through the thread's context class loader, which in Quarkus may hold a second copy of them
            query.setVector(List.of());
            all.put(key, query);
        } catch (RuntimeException e) {
            deadLetters.accept(DeadLetters.of("restore".equals(source) ? topic.name() : source, partition, offset,
                    key == null ? null : key.getBytes(StandardCharsets.UTF_8), value, processor, e, Instant.now()));
        }
    }

    @Override
    public void flush() {
        // in memory; rebuilt from the topic on start
    }

    @Override
    public void close() {
        open = false;
    }

    @Override
    public boolean persistent() {
        return false;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    /** Feeds live records of {@code pir.queries} into the store. */
    static final class Updater implements Processor<String, byte[], Void, Void> {
        private final String storeName;
        private ProcessorContext<Void, Void> context;
        private SubscriptionStore store;

        Updater(String storeName) {
            this.storeName = storeName;
        }

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            this.context = context;
            this.store = context.getStateStore(storeName);
        }

        @Override
        public void process(Record<String, byte[]> record) {
            var metadata = context.recordMetadata().orElseThrow();
            store.apply(record.key(), record.value(), metadata.topic(), metadata.partition(), metadata.offset());
        }
    }

    /** Builds the store; a global store has no changelog (its source topic is one). */
    static final class Builder implements StoreBuilder<SubscriptionStore> {
        private final SubscriptionStore store;

        Builder(SubscriptionStore store) {
            this.store = store;
        }

        @Override
        public StoreBuilder<SubscriptionStore> withCachingEnabled() {
            return this;
        }

        @Override
        public StoreBuilder<SubscriptionStore> withCachingDisabled() {
            return this;
        }

        @Override
        public StoreBuilder<SubscriptionStore> withLoggingEnabled(Map<String, String> config) {
            throw new UnsupportedOperationException("the subscription store is rebuilt from pir.queries, not a changelog");
        }

        @Override
        public StoreBuilder<SubscriptionStore> withLoggingDisabled() {
            return this;
        }

        @Override
        public SubscriptionStore build() {
            return store;
        }

        @Override
        public Map<String, String> logConfig() {
            return Map.of();
        }

        @Override
        public boolean loggingEnabled() {
            return false;
        }

        @Override
        public String name() {
            return store.name();
        }
    }
}
