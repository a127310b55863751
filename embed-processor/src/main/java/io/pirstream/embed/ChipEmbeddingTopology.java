package io.pirstream.embed;

import io.pirstream.schemas.Topic;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.DeadLetter;
import io.pirstream.schemas.avro.Embedding;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The embed-processor's topology: {@code pir.chips} -> micro-batches in a changelogged store -> PIR image
 * embedding -> {@code pir.embeddings.<model version>}; records that cannot be processed go to {@code pir.dlq}.
 *
 * <pre>
 *   chips-source (String, raw bytes) -> chip-batcher [pending store] -+-> embeddings-sink
 *                                                                      +-> dlq-sink
 * </pre>
 * Chip values are read as raw bytes so that an undecodable record becomes a dead letter with its original bytes
 * instead of stopping the stream.
 */
public final class ChipEmbeddingTopology {

    static final String SOURCE = "chips-source";
    static final String BATCHER = "chip-batcher";
    static final String EMBEDDINGS_SINK = "embeddings-sink";
    static final String DLQ_SINK = "dlq-sink";
    /** Changelogged buffer of chips waiting for their batch. */
    public static final String PENDING_STORE = "pending-chips";

    private ChipEmbeddingTopology() {
    }

    /** Settings of the topology. */
    public record Settings(Topic<String, Chip> chips, Topic<String, Embedding> embeddings, Topic<byte[], DeadLetter> dlq,
                           int batchSize, Duration maxWait, String applicationId) {
        public Settings {
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
            }
            if (maxWait.isNegative() || maxWait.isZero()) {
                throw new IllegalArgumentException("maxWait must be positive, got " + maxWait);
            }
        }
    }

    /** The output topic of a model: one embedding topic per model version. */
    public static Topic<String, Embedding> outputTopic(ChipEmbedder embedder) {
        return Topics.embeddings(embedder.modelVersion());
    }

    public static Topology build(ChipEmbedder embedder, Settings settings, EmbedMetrics metrics) {
        Topic<String, Embedding> embeddings = settings.embeddings();
        Serializer<Object> dlqKey = (topic, key) -> key == null ? null : ((String) key).getBytes(StandardCharsets.UTF_8);
        Topology topology = new Topology();
        topology.addSource(SOURCE, Serdes.String().deserializer(), Serdes.ByteArray().deserializer(),
                settings.chips().name());
        topology.addProcessor(BATCHER, () -> new ChipBatcher(embedder, settings.batchSize(), settings.maxWait(),
                settings.applicationId(), metrics), SOURCE);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(PENDING_STORE),
                Serdes.String(), Serdes.ByteArray()), BATCHER); // logging (the changelog) is on by default
        topology.addSink(EMBEDDINGS_SINK, embeddings.name(), embeddings.keySerde().serializer(),
                cast(embeddings.valueSerde().serializer()), BATCHER);
        topology.addSink(DLQ_SINK, settings.dlq().name(), dlqKey, cast(settings.dlq().valueSerde().serializer()),
                BATCHER);
        return topology;
    }

    @SuppressWarnings("unchecked")
    private static Serializer<Object> cast(Serializer<?> serializer) {
        return (Serializer<Object>) serializer;
    }
}
