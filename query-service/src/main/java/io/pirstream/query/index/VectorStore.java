package io.pirstream.query.index;

import io.pirstream.schemas.DeadLetters;
import io.pirstream.schemas.avro.DeadLetter;
import io.pirstream.schemas.avro.Embedding;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.function.Consumer;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.BatchingStateRestoreCallback;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * The vector index as a Kafka Streams global state store fed by the embeddings topic. Every instance holds every
 * vector (queries stay local; 1M vectors fit one machine). The index lives in the state directory and is committed
 * whenever Streams flushes, before Streams writes its checkpoint offsets, so a restart only replays what came after
 * the checkpoint; replaying is idempotent (updates are keyed by chip id).
 */
public final class VectorStore implements StateStore {

    private final String name;
    private final int dimension;
    private final String modelVersion;
    private final Duration refreshInterval;
    private final Consumer<DeadLetter> deadLetters;
    private final Consumer<Embedding> indexed;
    private final String processor;
    private VectorIndex index;
    private EmbeddingApplier applier;
    private volatile boolean open;

    VectorStore(String name, int dimension, String modelVersion, Duration refreshInterval,
                Consumer<DeadLetter> deadLetters, Consumer<Embedding> indexed, String processor) {
        this.name = name;
        this.dimension = dimension;
        this.modelVersion = modelVersion;
        this.refreshInterval = refreshInterval;
        this.deadLetters = deadLetters;
        this.indexed = indexed;
        this.processor = processor;
    }

    /** The index, for searches; {@code null} until Streams initialised the store. */
    public VectorIndex index() {
        return index;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        Path dir = context.stateDir().toPath().resolve(name);
        index = VectorIndex.open(dir, dimension, refreshInterval.toMillis());
        applier = new EmbeddingApplier(index, modelVersion);
        context.register(root, new BatchingStateRestoreCallback() {
            @Override
            public void restoreAll(Collection<KeyValue<byte[], byte[]>> records) {
                restoreBatch(records);
            }

            @Override
            public void restore(byte[] key, byte[] value) {
                restoreAll(List.of(KeyValue.pair(key, value)));
            }
        });
        open = true;
    }

    private void restoreBatch(Collection<KeyValue<byte[], byte[]>> records) {
        for (var record : records) {
            String key = record.key == null ? null : new String(record.key, StandardCharsets.UTF_8);
            apply(key, record.value, "restore", -1, -1L);
        }
        index.refresh();
    }

    /** Applies one record; a refused record becomes a dead letter and the stream goes on. */
    void apply(String key, byte[] value, String topic, int partition, long offset) {
        try {
            Embedding embedding = applier.apply(key, value);
            if (embedding != null && !"restore".equals(topic)) {
                indexed.accept(embedding);
            }
        } catch (EmbeddingApplier.Refused e) {
            deadLetters.accept(DeadLetters.of(topic, partition, offset,
                    key == null ? null : key.getBytes(StandardCharsets.UTF_8), value, processor, e, Instant.now()));
        }
    }

    @Override
    public void flush() {
        index.commit();
    }

    @Override
    public void close() {
        open = false;
        if (index != null) {
            index.close();
        }
    }

    @Override
    public boolean persistent() {
        return true;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    /** Feeds live records of the embeddings topic into the store. */
    static final class Updater implements Processor<String, byte[], Void, Void> {
        private final String storeName;
        private ProcessorContext<Void, Void> context;
        private VectorStore store;

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

    /** Builds the store; global stores have no changelog (the source topic is one). */
    static final class Builder implements StoreBuilder<VectorStore> {
        private final VectorStore store;

        Builder(VectorStore store) {
            this.store = store;
        }

        @Override
        public StoreBuilder<VectorStore> withCachingEnabled() {
            return this;
        }

        @Override
        public StoreBuilder<VectorStore> withCachingDisabled() {
            return this;
        }

        @Override
        public StoreBuilder<VectorStore> withLoggingEnabled(Map<String, String> config) {
            throw new UnsupportedOperationException("the vector store is rebuilt from its source topic, not a changelog");
        }

        @Override
        public StoreBuilder<VectorStore> withLoggingDisabled() {
            return this;
        }

        @Override
        public VectorStore build() {
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
