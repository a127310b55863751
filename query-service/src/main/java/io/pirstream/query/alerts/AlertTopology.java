package io.pirstream.query.alerts;

import io.pirstream.schemas.Topic;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Alert;
import io.pirstream.schemas.avro.DeadLetter;
import io.pirstream.schemas.avro.Embedding;
import io.pirstream.schemas.avro.StandingQuery;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The alert matcher: its own Streams application with one application id shared by every query-service replica, so
 * the partitions of the embeddings topic are split between replicas and each chip is matched once, not once per
 * replica. Every replica holds every subscription (a global store), so whichever replica owns a chip's partition
 * can match it.
 *
 * <pre>
 *   pir.queries -> subscriptions-updater -> [alerts-subscriptions] (global)
 *                                                  |
 *   pir.embeddings.&lt;v&gt; -> matcher [alerts-match-buffer, alerts-alerted] -+-> pir.alerts
 *                                                                       +-> pir.dlq
 * </pre>
 */
public final class AlertTopology {

    static final String QUERIES_SOURCE = "queries-source";
    static final String UPDATER = "subscriptions-updater";
    static final String EMBEDDINGS_SOURCE = "embeddings-source";
    static final String MATCHER = "matcher";
    static final String ALERTS_SINK = "alerts-sink";
    static final String DLQ_SINK = "dlq-sink";

    /** Embeddings matched together at most; a full buffer is matched without waiting for the punctuation. */
    public static final int DEFAULT_MAX_BATCH = 64;
    /** Longest an embedding waits in the buffer for company. */
    public static final Duration DEFAULT_MATCH_INTERVAL = Duration.ofMillis(10);

    private AlertTopology() {
    }

    /**
     * @param applicationId the shared Streams application id (also names the processor on dead letters)
     * @param alertFrom embeddings of chips ingested before this are not matched: after a flip, the new version's topic
     *     replays every chip, and old imagery is not news (the previous version alerted on it when it was new)
     */
    public record Settings(String modelVersion, int dimension, Topic<String, Embedding> embeddings,
                           Topic<String, StandingQuery> queries, Topic<String, Alert> alerts,
                           Topic<byte[], DeadLetter> dlq, String applicationId, int maxBatch, Duration matchInterval,
                           Instant alertFrom) {

        public Settings {
            alertFrom = alertFrom == null ? Instant.EPOCH : alertFrom;
            if (maxBatch < 1) {
                throw new IllegalArgumentException("maxBatch must be >= 1, got " + maxBatch);
            }
        }

        /** Defaults for a model: the contract topics, batches of {@link #DEFAULT_MAX_BATCH}. */
        public static Settings of(String modelVersion, int dimension, String applicationId) {
            return new Settings(modelVersion, dimension, Topics.embeddings(modelVersion), Topics.QUERIES, Topics.ALERTS,
                    Topics.DLQ, applicationId, DEFAULT_MAX_BATCH, DEFAULT_MATCH_INTERVAL, Instant.EPOCH);
        }
    }

    /** The topology and the subscription store it feeds (the subscriptions API reads it directly). */
    public record Built(Topology topology, SubscriptionStore subscriptions) {
    }

    /**
     * @param deadLetters where the global store's refused records go (a global store cannot forward to a sink)
     */
    public static Built build(Settings settings, AlertMetrics metrics, Consumer<DeadLetter> deadLetters) {
        SubscriptionStore subscriptions = new SubscriptionStore(Topics.SUBSCRIPTIONS_STORE, settings.modelVersion(),
                settings.dimension(), settings.queries(), deadLetters, settings.applicationId());
        Topology topology = new Topology();
        topology.addGlobalStore(new SubscriptionStore.Builder(subscriptions), QUERIES_SOURCE,
                Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), settings.queries().name(), UPDATER,
                () -> new SubscriptionStore.Updater(Topics.SUBSCRIPTIONS_STORE));
        topology.addSource(EMBEDDINGS_SOURCE, Serdes.String().deserializer(), Serdes.ByteArray().deserializer(),
                settings.embeddings().name());
        topology.addProcessor(MATCHER, () -> new MatchProcessor(settings, metrics), EMBEDDINGS_SOURCE);
        // both changelogged (logging is on by default): they commit with the offsets and the alerts
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(Topics.MATCH_BUFFER_STORE),
                Serdes.String(), Serdes.ByteArray()), MATCHER);
        Serde<List<String>> ids = Serdes.ListSerde(ArrayList.class, Serdes.String());
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Topics.ALERTED_STORE),
                Serdes.String(), ids), MATCHER);
        topology.addSink(ALERTS_SINK, settings.alerts().name(), settings.alerts().keySerde().serializer(),
                cast(settings.alerts().valueSerde().serializer()), MATCHER);
        topology.addSink(DLQ_SINK, settings.dlq().name(), settings.dlq().keySerde().serializer(),
                cast(settings.dlq().valueSerde().serializer()), MATCHER);
        return new Built(topology, subscriptions);
    }

    @SuppressWarnings("unchecked")
    private static <T> Serializer<T> cast(Serializer<?> serializer) {
        return (Serializer<T>) serializer;
    }
}
