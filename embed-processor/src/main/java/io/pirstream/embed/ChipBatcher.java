package io.pirstream.embed;

import io.pirstream.schemas.DeadLetters;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.DeadLetter;
import io.pirstream.schemas.avro.Embedding;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Collects chips into micro-batches and embeds each batch in one model call.
 *
 * <p>Why nothing is lost or duplicated: a chip is first written to the changelogged {@code pending} store. Under
 * {@code exactly_once_v2} the store's changelog writes, the embeddings and dead letters this processor forwards, and
 * the consumer offsets are committed in one Kafka transaction. So when a commit covers a chip's input offset, the
 * chip is either already embedded (its embedding is in the same transaction) or still pending in the store, whose
 * changelog is restored after a crash; a crash before the commit aborts everything and the chip is read again.
 *
 * <p>A batch closes at {@code batchSize} pending chips or when the oldest has waited {@code maxWait}
 * (wall-clock punctuation), whichever comes first. Tombstones on the chips topic delete the chip's embedding.
 */
final class ChipBatcher implements Processor<String, byte[], String, Object> {

    private final ChipEmbedder embedder;
    private final Deserializer<Chip> chips = Topics.CHIPS.valueSerde().deserializer();
    private final int batchSize;
    private final Duration maxWait;
    private final String applicationId;
    private final EmbedMetrics metrics;
    private ProcessorContext<String, Object> context;
    private KeyValueStore<String, byte[]> pending;
    private int pendingCount;
    private long oldestPendingSince = Long.MAX_VALUE;

    ChipBatcher(ChipEmbedder embedder, int batchSize, Duration maxWait, String applicationId, EmbedMetrics metrics) {
        this.embedder = embedder;
        this.batchSize = batchSize;
        this.maxWait = maxWait;
        this.applicationId = applicationId;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        this.pending = context.getStateStore(ChipEmbeddingTopology.PENDING_STORE);
        try (KeyValueIterator<String, byte[]> all = pending.all()) {
            while (all.hasNext()) {
                all.next();
                pendingCount++;
            }
        }
        if (pendingCount > 0) {
            oldestPendingSince = context.currentSystemTimeMs(); // restored after a restart: flush soon
        }
        Duration tick = Duration.ofMillis(Math.max(5, maxWait.toMillis() / 4));
        context.schedule(tick, PunctuationType.WALL_CLOCK_TIME, now -> {
            if (pendingCount > 0 && now - oldestPendingSince >= maxWait.toMillis()) {
                flush();
            }
        });
    }

    @Override
    public void process(Record<String, byte[]> record) {
        RecordMetadata source = context.recordMetadata().orElseThrow();
        if (record.key() == null) {
            deadLetter(new PendingChip(source.topic(), source.partition(), source.offset(), record.timestamp(),
                    record.value() == null ? new byte[0] : record.value()), null,
                    new IllegalArgumentException("chip record without a key: chips are keyed by chip id"));
            return;
        }
        if (record.value() == null) {
            // the chip was deleted: drop it from the buffer and delete its embedding
            if (pending.delete(record.key()) != null) {
                pendingCount--;
            }
            context.forward(new Record<>(record.key(), null, record.timestamp()), ChipEmbeddingTopology.EMBEDDINGS_SINK);
            return;
        }
        byte[] previous = pending.get(record.key());
        pending.put(record.key(), new PendingChip(source.topic(), source.partition(), source.offset(),
                record.timestamp(), record.value()).encode());
        if (previous == null) {
            pendingCount++;
        }
        if (pendingCount == 1) {
            oldestPendingSince = context.currentSystemTimeMs();
        }
        if (pendingCount >= batchSize) {
            flush();
        }
    }

    /** Embeds every pending chip, forwards embeddings and dead letters, and empties the buffer. */
    private void flush() {
        // 1. take the batch out of the store and decode the Avro values; undecodable ones become dead letters
        List<KeyValue<String, PendingChip>> batch = new ArrayList<>(pendingCount);
        try (KeyValueIterator<String, byte[]> all = pending.all()) {
            all.forEachRemaining(entry -> batch.add(KeyValue.pair(entry.key, PendingChip.decode(entry.value))));
        }
        List<Chip> decoded = new ArrayList<>(batch.size());
        Map<String, PendingChip> sources = new java.util.HashMap<>();
        for (KeyValue<String, PendingChip> entry : batch) {
            try {
                Chip chip = chips.deserialize(entry.value.topic(), entry.value.value());
                if (!entry.key.equals(chip.getChipId())) {
                    throw new IllegalArgumentException("record key " + entry.key + " differs from its chipId "
                            + chip.getChipId());
                }
                decoded.add(chip);
                sources.put(entry.key, entry.value);
            } catch (RuntimeException e) {
                deadLetter(entry.value, entry.key, e);
            }
        }
        // 2. one model call for the whole batch
        if (!decoded.isEmpty()) {
            long start = System.nanoTime();
            List<ChipEmbedder.Outcome> outcomes = embedder.embed(decoded, Instant.now());
            metrics.batch(decoded.size(), System.nanoTime() - start);
            // 3. forward embeddings (timestamped like their chip) and dead letters
            for (ChipEmbedder.Outcome outcome : outcomes) {
                PendingChip source = sources.get(outcome.chip().getChipId());
                if (outcome.succeeded()) {
                    Embedding embedding = outcome.embedding();
                    context.forward(new Record<>(embedding.getChipId(), embedding, source.timestamp()),
                            ChipEmbeddingTopology.EMBEDDINGS_SINK);
                    metrics.embedded(outcome.chip().getIngestedAt(), embedding.getEmbeddedAt());
                } else {
                    deadLetter(source, outcome.chip().getChipId(), outcome.failure());
                }
            }
        }
        // 4. empty the buffer (in the same transaction as the forwards above)
        batch.forEach(entry -> pending.delete(entry.key));
        pendingCount = 0;
        oldestPendingSince = Long.MAX_VALUE;
    }

    private void deadLetter(PendingChip source, String key, Exception cause) {
        byte[] keyBytes = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
        DeadLetter letter = DeadLetters.of(source.topic(), source.partition(), source.offset(), keyBytes,
                source.value(), applicationId, cause, Instant.now());
        context.forward(new Record<>(key, letter, source.timestamp()), ChipEmbeddingTopology.DLQ_SINK);
        metrics.deadLetter(cause);
    }
}
