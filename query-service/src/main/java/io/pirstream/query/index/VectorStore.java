package io.pirstream.query.index;

import io.pirstream.schemas.DeadLetters;
import io.pirstream.schemas.avro.DeadLetter;
import io.pirstream.schemas.avro.Embedding;
import io.pirstream.schemas.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;
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
 *
 * <p>Deletes are tombstones on a compacted topic, and compaction drops a tombstone {@code delete.retention.ms} after
 * it reaches it. A local copy that was away longer may have missed deletes that resuming can never see, so each flush
 * records when the index was last current ({@value #CURRENT_AT_FILE}), and {@link #discardIfStale} makes a copy away
 * longer than {@link #MAX_OFFLINE} rebuild from the topic instead.
 */
public final class VectorStore implements StateStore {

    /** The file, in the store's folder, holding the instant the index last held everything it had read. */
    static final String CURRENT_AT_FILE = "current-at";

    /**
     * How long a local copy may have been away and still be resumed: the tombstones' retention on the embeddings
     * topic ({@link Topics#DELETE_RETENTION}) less an hour, which covers the global thread's lag at a flush and clocks
     * that disagree. A topic created with a shorter {@code delete.retention.ms} is reported as drift at start-up.
     */
    public static final Duration MAX_OFFLINE = Topics.DELETE_RETENTION.minus(Duration.ofHours(1));

    private final String name;
    private final int dimension;
    private final String modelVersion;
    private final Duration refreshInterval;
    private final Consumer<DeadLetter> deadLetters;
    private final Consumer<Embedding> indexed;
    private final String processor;
    private Path dir;
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
        dir = context.stateDir().toPath().resolve(name);
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
        writeCurrentAt(Instant.now());
    }

    private void writeCurrentAt(Instant at) {
        Path file = dir.resolve(CURRENT_AT_FILE);
        Path tmp = dir.resolve(CURRENT_AT_FILE + ".tmp");
        try {
            Files.writeString(tmp, at.toString());
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record when the index was current in " + file, e);
        }
    }

    /**
     * Deletes the local copy of the index of {@code applicationId} (the index and Streams' checkpoint of its global
     * store) when it was last current longer than {@code maxOffline} before {@code now}, or cannot say when (no or an
     * unreadable {@value #CURRENT_AT_FILE}): Streams then restores the index from the beginning of the topic, deletes
     * included. Call it before the Streams client is created, which reads the checkpoint.
     *
     * @return why the copy was deleted; empty when there is none or it is resumed
     */
    public static Optional<String> discardIfStale(Path stateDir, String applicationId, Instant now, Duration maxOffline) {
        // Kafka Streams keeps global stores under <state.dir>/<application.id>/global, each in a folder of its name
        Path global = stateDir.resolve(applicationId).resolve("global");
        Path store = global.resolve(EmbeddingIndexTopology.STORE);
        if (!Files.isDirectory(store)) {
            return Optional.empty();
        }
        String why;
        try {
            Instant currentAt = Instant.parse(Files.readString(store.resolve(CURRENT_AT_FILE)).trim());
            Duration away = Duration.between(currentAt, now);
            if (away.compareTo(maxOffline) <= 0) {
                return Optional.empty();
            }
            why = "the local index in " + store + " was last current at " + currentAt + ", " + away.toHours()
                    + " h ago, longer than it may be away (" + maxOffline.toHours() + " h, from delete.retention.ms of"
                    + " the embeddings topic): deletes may have been compacted away; rebuilding it from the topic";
        } catch (IOException | DateTimeParseException e) {
            why = "the local index in " + store + " does not say when it was last current (" + e.getMessage()
                    + "): it may have missed deletes; rebuilding it from the topic";
        }
        deleteRecursively(global);
        return Optional.of(why);
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the stale local index " + dir, e);
        }
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
