package io.pirstream.query.alerts;

import io.pirstream.schemas.DeadLetters;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Alert;
import io.pirstream.schemas.avro.Embedding;
import io.pirstream.schemas.avro.StandingQuery;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Matches embeddings against the standing queries of its model version, in batches, and raises one alert per
 * (subscription, chip).
 *
 * <p>An embedding is first put in a changelogged buffer store; the buffer is matched when it holds
 * {@code maxBatch} embeddings or at the next wall-clock punctuation. Buffering in a store rather than in memory is
 * what keeps this exactly once: under {@code exactly_once_v2} the input offsets commit with the store's changelog
 * and the alerts in one transaction, so an embedding whose offset is committed is either matched or still in the
 * (restored) buffer. The alerted store (chip id -> subscriptions alerted) commits in the same transaction, so
 * restarts, rebalances, a replay of the embeddings topic and re-uploads (same chip id) raise no second alert.
 */
final class MatchProcessor implements Processor<String, byte[], Object, Object> {

    private final AlertTopology.Settings settings;
    private final AlertMetrics metrics;
    private ProcessorContext<Object, Object> context;
    private KeyValueStore<String, byte[]> buffer;
    private KeyValueStore<String, List<String>> alerted;
    private SubscriptionMatrix matrix;
    private int buffered;

    MatchProcessor(AlertTopology.Settings settings, AlertMetrics metrics) {
        this.settings = settings;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<Object, Object> context) {
        this.context = context;
        this.buffer = context.getStateStore(Topics.MATCH_BUFFER_STORE);
        this.alerted = context.getStateStore(Topics.ALERTED_STORE);
        SubscriptionStore subscriptions = context.getStateStore(Topics.SUBSCRIPTIONS_STORE);
        this.matrix = subscriptions.matrix();
        buffered = (int) Math.min(Integer.MAX_VALUE, buffer.approximateNumEntries()); // restored after a crash
        context.schedule(settings.matchInterval(), PunctuationType.WALL_CLOCK_TIME, now -> {
            if (buffered > 0) {
                matchBuffered();
            }
        });
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (record.value() == null) {
            buffer.delete(record.key()); // the chip was deleted: nothing to match
            return;
        }
        Embedding embedding;
        try {
            embedding = decode(record.key(), record.value());
        } catch (RuntimeException e) {
            var metadata = context.recordMetadata().orElseThrow();
            context.forward(new Record<>(record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8),
                    DeadLetters.of(metadata.topic(), metadata.partition(), metadata.offset(),
                            record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8), record.value(),
                            settings.applicationId(), e, Instant.now()), record.timestamp()), AlertTopology.DLQ_SINK);
            return;
        }
        if (embedding.getIngestedAt() == null ? settings.alertFrom().isAfter(Instant.EPOCH)
                : embedding.getIngestedAt().isBefore(settings.alertFrom())) {
            return; // imagery older than this matcher's start: replayed into a new version's topic, not news
        }
        buffer.put(record.key(), record.value());
        if (++buffered >= settings.maxBatch()) {
            matchBuffered();
        }
    }

    /**
     * 1. Read every buffered embedding. 2. One matrix product against all subscriptions, filters applied.
     * 3. Per matching chip, drop the subscriptions already alerted, raise the rest and record them. 4. Empty the buffer.
     */
    private void matchBuffered() {
        List<Embedding> chips = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> entries = buffer.all()) {
            while (entries.hasNext()) {
                KeyValue<String, byte[]> entry = entries.next();
                chips.add(decode(entry.key, entry.value)); // validated when buffered
            }
        }
        if (!chips.isEmpty()) {
            float[][] vectors = new float[chips.size()][];
            for (int i = 0; i < vectors.length; i++) {
                vectors[i] = toArray(chips.get(i).getVector());
            }
            long start = System.nanoTime();
            List<SubscriptionMatrix.Match> matches = matrix.match(vectors, chips);
            metrics.matched(chips.size(), System.nanoTime() - start);
            Map<Integer, List<SubscriptionMatrix.Match>> byChip = new HashMap<>();
            matches.forEach(match -> byChip.computeIfAbsent(match.embedding(), i -> new ArrayList<>()).add(match));
            byChip.forEach((index, chipMatches) -> raise(chips.get(index), chipMatches));
            chips.forEach(chip -> buffer.delete(chip.getChipId()));
        }
        buffered = 0;
    }

    private void raise(Embedding chip, List<SubscriptionMatrix.Match> matches) {
        List<String> done = alerted.get(chip.getChipId());
        List<String> now = done == null ? new ArrayList<>() : new ArrayList<>(done);
        Instant at = Instant.now();
        for (SubscriptionMatrix.Match match : matches) {
            StandingQuery query = match.query();
            if (now.contains(query.getSubscriptionId())) {
                metrics.suppressed();
                continue;
            }
            now.add(query.getSubscriptionId());
            Alert alert = Alert.newBuilder()
                    .setSubscriptionId(query.getSubscriptionId())
                    .setChipId(chip.getChipId())
                    .setScore(match.score())
                    .setModelVersion(chip.getModelVersion())
                    .setQueryText(query.getText())
                    .setOwner(query.getOwner())
                    .setCapturedAt(chip.getCapturedAt())
                    .setIngestedAt(chip.getIngestedAt())
                    .setAlertedAt(at)
                    .setThumbnailUrl("/v1/chips/" + chip.getChipId() + "/thumbnail")
                    .setSource(chip.getSource())
                    .setPlatform(chip.getPlatform())
                    .setTopScene(chip.getTopScene())
                    .setGeo(chip.getGeo())
                    .build();
            context.forward(new Record<>(query.getSubscriptionId(), alert, at.toEpochMilli()), AlertTopology.ALERTS_SINK);
            metrics.raised(chip.getIngestedAt() == null ? null : Duration.between(chip.getIngestedAt(), at));
        }
        if (done == null || now.size() != done.size()) {
            alerted.put(chip.getChipId(), now);
        }
    }

    private Embedding decode(String key, byte[] value) {
        if (key == null) {
            throw new IllegalArgumentException("embedding record without a key: records are keyed by chip id");
        }
        Embedding embedding = settings.embeddings().valueSerde().deserializer().deserialize(settings.embeddings().name(), value);
        if (!settings.modelVersion().equals(embedding.getModelVersion())) {
            throw new IllegalArgumentException("embedding of chip " + key + " was made by model "
                    + embedding.getModelVersion() + "; this matcher matches model " + settings.modelVersion() + " only");
        }
        if (!key.equals(embedding.getChipId())) {
            throw new IllegalArgumentException("record key " + key + " differs from its chipId " + embedding.getChipId());
        }
        if (embedding.getVector().size() != matrix.dimension()) {
            throw new IllegalArgumentException("embedding of chip " + key + " has " + embedding.getVector().size()
                    + " dimensions; model " + settings.modelVersion() + " makes " + matrix.dimension());
        }
        return embedding;
    }

    private static float[] toArray(List<Float> values) {
        float[] vector = new float[values.size()];
        for (int i = 0; i < vector.length; i++) {
            vector[i] = values.get(i);
        }
        return vector;
    }
}
