package io.pirstream.query;

import io.pirstream.schemas.TopicAccess;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Settings of the query service ({@code pirstream.query.*}). */
@ConfigMapping(prefix = "pirstream.query")
public interface QueryConfig {

    /** Kafka brokers. */
    String bootstrapServers();

    /**
     * Replication factor of the topics this service creates and of its Kafka Streams internal topics
     * ({@code pirstream.kafka.replication-factor}); 0: {@code min(3, brokers)}. Existing topics are checked against it.
     */
    @WithDefault("0")
    short replicationFactor();

    /**
     * PIR checkpoint folder served while {@code pir.models} has no active release; unset: the shipped model. Its
     * version names the index's topic.
     */
    Optional<String> checkpoint();

    /** Follow the releases on {@code pir.models} (an index per live release, a flip when the active one changes). */
    @WithDefault("true")
    boolean followReleases();

    /** How long a new active version's index must stay caught up before searches flip to it. */
    @WithDefault("1s")
    Duration flipSettle();

    /**
     * Longest wait for a new active version's index to hold as many chips as the serving one; after it, the flip
     * happens once the index has applied its whole topic (chips the new model refused are dead letters).
     */
    @WithDefault("10m")
    Duration flipMaxWait();

    /**
     * Prefix of the Kafka Streams application ids of the indexes, {@code <prefix>-<model version>}; every instance
     * needs its own (each holds every vector).
     */
    @WithDefault(TopicAccess.QUERY_APPLICATION_ID)
    String applicationId();

    /** Where the local copy of the index lives between restarts. */
    @WithDefault("${java.io.tmpdir}/pirstream-query-${user.name}")
    String stateDir();

    /** Longest delay before a new embedding is searchable. */
    @WithDefault("50ms")
    Duration refreshInterval();

    /** Largest k a search may ask for. */
    @WithDefault("100")
    int maxK();

    /** Longest query text, in characters. */
    @WithDefault("500")
    int maxTextLength();

    /**
     * Searches waiting for the query encoder or in it at once (their texts are encoded in batches); further searches
     * wait up to {@link #busyWait()}, then get 503.
     */
    @WithDefault("64")
    int maxConcurrentEncodings();

    /**
     * Kernel threads of the model (PyTorch and ONNX Runtime) for search and subscription texts. One is fastest where
     * the service shares its cores (a text is small work: two threads wait on each other at every operation, and on a
     * busy machine one of them waits for a core); raise it on a machine of its own that serves many clients at once.
     */
    @WithDefault("1")
    int modelThreads();

    /**
     * Threads that encode batches of search texts side by side, each with {@link #modelThreads()} kernel threads:
     * while one batch is in the model the next one starts on another core instead of waiting.
     */
    @WithDefault("2")
    int encoderWorkers();

    /** Most search texts encoded in one model call. */
    @WithDefault("32")
    int maxEncodingBatch();

    /** Search texts whose vectors are remembered, per model version (0: none). */
    @WithDefault("4096")
    int textCacheSize();

    /** How long a search waits for room in the encoder before 503 (also its {@code Retry-After}). */
    @WithDefault("1s")
    Duration busyWait();
}
