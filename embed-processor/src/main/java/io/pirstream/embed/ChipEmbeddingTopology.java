package io.pirstream.embed;

import io.pirstream.schemas.Topic;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.DeadLetter;
import io.pirstream.schemas.avro.Embedding;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The embed-processor's topology: {@code pir.chips} -> a changelogged store of chips waiting for the model ->
 * PIR image embedding, batched across tasks by the {@link InferenceQueue} -> {@code pir.embeddings.<model version>};
 * records that cannot be processed go to {@code pir.dlq}.
 *
 * <pre>
 *   chips-source (String, raw bytes) -> chip-embedder [pending, embedded stores] -+-> embeddings-sink
 *                                            |        ^                             +-> dlq-sink
 *                                            v        |
 *                                     InferenceQueue (one model thread for all tasks)
 * </pre>
 * Chip values are read as raw bytes so that an undecodable record becomes a dead letter with its original bytes
 * instead of stopping the stream.
 */
public final class ChipEmbeddingTopology {

    static final String SOURCE = "chips-source";
    static final String EMBEDDER = "chip-embedder";
    static final String EMBEDDINGS_SINK = "embeddings-sink";
    static final String DLQ_SINK = "dlq-sink";
    /** {@code max.message.bytes} of the buffer's changelog: a chip record and its coordinates, with room to spare. */
    static final int PENDING_CHANGELOG_MAX_BYTES = Topics.MAX_MESSAGE_BYTES + 64 * 1024;

    /** Changelogged buffer of chips waiting for the model. */
    public static final String PENDING_STORE = "pending-chips";
    /** Changelogged fingerprint of each chip whose embedding was forwarded: re-uploads of it are skipped. */
    public static final String EMBEDDED_STORE = "embedded-chips";

    private ChipEmbeddingTopology() {
    }

    /** Settings of the topology. */
    public record Settings(Topic<String, Chip> chips, Topic<String, Embedding> embeddings, Topic<byte[], DeadLetter> dlq,
                           String applicationId) {
    }

    /** The output topic of a model: one embedding topic per model version. */
    public static Topic<String, Embedding> outputTopic(ChipEmbedder embedder) {
        return Topics.embeddings(embedder.modelVersion());
    }

    /**
     * The topology; every task hands its chips to {@code inference}, which the caller closes after the streams
     * instance.
     */
    public static Topology build(InferenceQueue inference, Settings settings, EmbedMetrics metrics) {
        Topic<String, Embedding> embeddings = settings.embeddings();
        Serializer<Object> dlqKey = (topic, key) -> key == null ? null : ((String) key).getBytes(StandardCharsets.UTF_8);
        Topology topology = new Topology();
        topology.addSource(SOURCE, Serdes.String().deserializer(), Serdes.ByteArray().deserializer(),
                settings.chips().name());
        topology.addProcessor(EMBEDDER, () -> new ChipEmbeddingProcessor(inference, settings.applicationId(), metrics),
                SOURCE);
        // the changelog holds whole chips: created with the broker's default limit (1 MB on a stock broker) a chip
        // over it failed the task on every retry, so it gets the chips topic's limit plus room for the header
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(PENDING_STORE),
                Serdes.String(), Serdes.ByteArray()).withLoggingEnabled(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                String.valueOf(PENDING_CHANGELOG_MAX_BYTES))), EMBEDDER);
        // about 100 bytes a chip (id and SHA-256): in memory like the buffer, restored from its compacted changelog
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(EMBEDDED_STORE),
                Serdes.String(), Serdes.ByteArray()).withLoggingEnabled(Map.of()), EMBEDDER);
        topology.addSink(EMBEDDINGS_SINK, embeddings.name(), embeddings.keySerde().serializer(),
                cast(embeddings.valueSerde().serializer()), EMBEDDER);
        topology.addSink(DLQ_SINK, settings.dlq().name(), dlqKey, cast(settings.dlq().valueSerde().serializer()),
                EMBEDDER);
        return topology;
    }

    @SuppressWarnings("unchecked")
    private static Serializer<Object> cast(Serializer<?> serializer) {
        return (Serializer<Object>) serializer;
    }
}
