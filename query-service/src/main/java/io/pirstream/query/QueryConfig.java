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

    /** PIR checkpoint folder used to encode queries; unset: the shipped model. It also names the index's topic. */
    Optional<String> checkpoint();

    /** Kafka Streams application id; every instance needs its own (each holds every vector). */
    @WithDefault(TopicAccess.QUERY_APPLICATION_ID)
    String applicationId();

    /** Where the local copy of the index lives between restarts. */
    @WithDefault("${java.io.tmpdir}/pirstream-query")
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

    /** Query texts encoded at the same time; further searches wait up to {@link #busyWait()}, then get 503. */
    @WithDefault("4")
    int maxConcurrentEncodings();

    /** How long a search waits for a free encoder before 503 (also its {@code Retry-After}). */
    @WithDefault("1s")
    Duration busyWait();
}
