package io.pirstream.embed;

import io.pirstream.schemas.DeadLetters;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.DeadLetter;
import io.pirstream.schemas.avro.Embedding;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Embeds the chips of one stream task: each chip is decoded on this task's thread (an unreadable one is
 * dead-lettered at once), kept in the changelogged {@code pending} store and queued on the shared
 * {@link InferenceQueue}; its embedding is forwarded on this task's thread when the model is done with it, and only
 * then is the chip removed from the store.
 *
 * <p>Why nothing is lost or duplicated: under {@code exactly_once_v2} the store's changelog writes, the embeddings
 * and dead letters forwarded here, and the consumer offsets are committed in one Kafka transaction. So when a commit
 * covers a chip's input offset, the chip is either already embedded (its embedding is in the same transaction) or
 * still pending in the store, whose changelog is restored after a crash and queued again; a crash before the commit
 * aborts everything and the chip is read again. An outcome is forwarded only if its chip is still the one pending
 * under that id (same input offset): a tombstone or a newer copy that arrived meanwhile wins.
 *
 * <p>Re-uploads are free: the changelogged {@code embedded} store keeps, per chip id, the fingerprint of the chip
 * whose embedding this pipeline last forwarded (written in that embedding's transaction, deleted with a tombstone).
 * A chip whose fingerprint is the stored one is skipped, but only while no other copy of it is pending: a different
 * copy in flight will overwrite the embedding, so the identical one must be embedded after it again.
 */
final class ChipEmbeddingProcessor implements Processor<String, byte[], String, Object> {

    /** How often finished embeddings are collected (each stream thread loop also runs due punctuations). */
    static final Duration COLLECT_INTERVAL = Duration.ofMillis(5);

    private final InferenceQueue inference;
    private final Deserializer<Chip> chips = Topics.CHIPS.valueSerde().deserializer();
    private final String applicationId;
    private final EmbedMetrics metrics;
    private ProcessorContext<String, Object> context;
    private KeyValueStore<String, byte[]> pending;
    private KeyValueStore<String, byte[]> embedded;
    private InferenceQueue.Inbox inbox;
    private boolean restoredQueued;

    ChipEmbeddingProcessor(InferenceQueue inference, String applicationId, EmbedMetrics metrics) {
        this.inference = inference;
        this.applicationId = applicationId;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        this.pending = context.getStateStore(ChipEmbeddingTopology.PENDING_STORE);
        this.embedded = context.getStateStore(ChipEmbeddingTopology.EMBEDDED_STORE);
        this.inbox = inference.open();
        // Kafka Streams re-initialises a revived task on the same processor instance: its restored chips must be
        // queued again, so this is per initialisation, not per instance
        this.restoredQueued = false;
        context.schedule(COLLECT_INTERVAL, PunctuationType.WALL_CLOCK_TIME, now -> {
            queueRestoredChips();
            forwardCompleted();
        });
    }

    /**
     * Chips restored from the changelog (a restart, or a task moved here) go back to the model. Runs before this
     * task's first record or punctuation rather than in {@link #init}, where a dead letter could not be forwarded.
     */
    private void queueRestoredChips() {
        if (restoredQueued) {
            return;
        }
        restoredQueued = true;
        List<KeyValue<String, byte[]>> restored = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> all = pending.all()) {
            all.forEachRemaining(restored::add);
        }
        for (KeyValue<String, byte[]> entry : restored) {
            PendingChip source = PendingChip.decode(entry.value);
            try {
                inference.submit(inbox, source, chips.deserialize(source.topic(), source.value()));
            } catch (IllegalArgumentException e) { // it was readable when stored: only a new decoder gets here
                deadLetter(source, entry.key, e);
                pending.delete(entry.key);
            }
        }
    }

    @Override
    public void process(Record<String, byte[]> record) {
        queueRestoredChips();
        RecordMetadata metadata = context.recordMetadata().orElseThrow();
        PendingChip source = new PendingChip(metadata.topic(), metadata.partition(), metadata.offset(),
                record.timestamp(), record.value() == null ? new byte[0] : record.value());
        if (record.key() == null) {
            deadLetter(source, null, new IllegalArgumentException("chip record without a key: chips are keyed by chip id"));
        } else if (record.value() == null) {
            // the chip was deleted: drop it from the buffer (an outcome still in flight is then ignored) and delete
            // its embedding
            pending.delete(record.key());
            embedded.delete(record.key());
            context.forward(new Record<>(record.key(), null, record.timestamp()), ChipEmbeddingTopology.EMBEDDINGS_SINK);
        } else {
            // a rejected record (not a chip, or not a readable image) leaves the buffer as it was
            Chip chip;
            try {
                chip = chips.deserialize(source.topic(), source.value());
                if (!record.key().equals(chip.getChipId())) {
                    throw new IllegalArgumentException("record key " + record.key() + " differs from its chipId "
                            + chip.getChipId());
                }
            } catch (RuntimeException e) {
                deadLetter(source, record.key(), e);
                return;
            }
            if (isLastEmbeddedCopy(chip)) {
                metrics.unchanged();
                forwardCompleted();
                return;
            }
            try {
                inference.submit(inbox, source, chip); // decodes the image on this thread
            } catch (IllegalArgumentException unreadable) {
                deadLetter(source, record.key(), unreadable);
                return;
            }
            pending.put(record.key(), source.encode());
        }
        forwardCompleted();
    }

    @Override
    public void close() {
        if (inbox != null) {
            inference.close(inbox);
        }
    }

    /** Forwards every outcome the model has finished for this task, in the transaction of this task. */
    private void forwardCompleted() {
        for (InferenceQueue.Completion completion : inbox.drain()) {
            if (completion.batchFailure() != null) {
                throw new StreamsException(completion.batchFailure());
            }
            InferenceQueue.Request request = completion.request();
            String key = request.chip().chip().getChipId();
            byte[] current = pending.get(key);
            if (current == null || PendingChip.offsetOf(current) != request.source().offset()) {
                continue; // deleted, or superseded by a newer copy that is queued itself
            }
            ChipEmbedder.Outcome outcome = completion.outcome();
            if (outcome.succeeded()) {
                Embedding embedding = outcome.embedding();
                context.forward(new Record<>(key, embedding, request.source().timestamp()),
                        ChipEmbeddingTopology.EMBEDDINGS_SINK);
                embedded.put(key, fingerprint(request.chip().chip()));
                metrics.embedded(request.chip().chip().getIngestedAt(), Instant.now());
            } else {
                deadLetter(request.source(), key, outcome.failure());
            }
            pending.delete(key);
        }
    }

    /** The chip is the copy whose embedding was forwarded last and no other copy is pending (hashed only then). */
    private boolean isLastEmbeddedCopy(Chip chip) {
        byte[] stored = embedded.get(chip.getChipId());
        return stored != null && pending.get(chip.getChipId()) == null && Arrays.equals(stored, fingerprint(chip));
    }

    /**
     * What makes two copies of a chip the same for this pipeline: every field but {@code ingestedAt} (when it arrived
     * is not what it shows; a different platform, time or box does change the embedding's metadata). SHA-256 of the
     * record's Avro encoding, so a new schema version counts as a change.
     */
    static byte[] fingerprint(Chip chip) {
        Chip arrivalCleared = Chip.newBuilder(chip).setIngestedAt(Instant.EPOCH).build();
        byte[] encoded = Topics.CHIPS.valueSerde().serializer().serialize(Topics.CHIPS.name(), arrivalCleared);
        try {
            return MessageDigest.getInstance("SHA-256").digest(encoded);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    private void deadLetter(PendingChip source, String key, Exception cause) {
        byte[] keyBytes = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
        DeadLetter letter = DeadLetters.of(source.topic(), source.partition(), source.offset(), keyBytes,
                source.value(), applicationId, cause, Instant.now());
        context.forward(new Record<>(key, letter, source.timestamp()), ChipEmbeddingTopology.DLQ_SINK);
        metrics.deadLetter(cause);
    }
}
