package io.pirstream.query.index;

import io.pirstream.schemas.Topic;
import io.pirstream.schemas.avro.DeadLetter;
import io.pirstream.schemas.avro.Embedding;
import java.time.Duration;
import java.util.function.Consumer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;

/**
 * The query-service's topology: the embeddings topic of the active model version feeds the {@link VectorStore},
 * a global store (every instance holds every vector).
 *
 * <pre>
 *   embeddings-source (String, raw bytes) -> index-updater -> [vector-store]
 * </pre>
 */
public final class EmbeddingIndexTopology {

    /** Name of the store (and its folder under the Streams state directory). */
    public static final String STORE = "vector-store";
    static final String SOURCE = "embeddings-source";
    static final String UPDATER = "index-updater";

    private EmbeddingIndexTopology() {
    }

    /** The topology and the store it feeds (searches read the store directly). */
    public record Built(Topology topology, VectorStore store) {
    }

    public static Built build(Topic<String, Embedding> embeddings, int dimension, String modelVersion,
                              Duration refreshInterval, Consumer<DeadLetter> deadLetters, Consumer<Embedding> indexed,
                              String applicationId) {
        VectorStore store = new VectorStore(STORE, dimension, modelVersion, refreshInterval, deadLetters, indexed,
                applicationId);
        Topology topology = new Topology();
        topology.addGlobalStore(new VectorStore.Builder(store), SOURCE, Serdes.String().deserializer(),
                Serdes.ByteArray().deserializer(), embeddings.name(), UPDATER,
                () -> new VectorStore.Updater(STORE));
        return new Built(topology, store);
    }
}
