package io.pirstream.ingest.kafka;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Where chips go ({@code pirstream.kafka.*}). */
@ConfigMapping(prefix = "pirstream.kafka")
public interface KafkaConfig {

    /** Brokers to write chips to. */
    String bootstrapServers();

    /** Name of the chips topic (default {@code pir.chips}). */
    @WithDefault("pir.chips")
    String chipsTopic();

    /** Name of the scene manifests topic (default {@code pir.scenes}): each scene's chip ids, for deletes. */
    @WithDefault("pir.scenes")
    String scenesTopic();

    /** How long a write may wait for Kafka before the request fails with 503. */
    @WithDefault("5s")
    Duration maxBlock();

    /**
     * Replication factor of the topics this service creates, and the one existing topics are checked against; 0:
     * {@code min(3, brokers)}. The same setting, with the same default, in every service.
     */
    @WithDefault("0")
    short replicationFactor();

    /** Create missing topics at start-up. */
    @WithDefault("true")
    boolean ensureTopics();

    /** Concurrent scene transactions (one transactional producer each). */
    @WithDefault("4")
    int producers();

    /**
     * The broker aborts a transaction its producer has not finished within this time. It bounds how long a writer
     * that vanished without a successor (a crash of an instance that never comes back under its id) holds back
     * read_committed readers; an instance restarted under the same id aborts its old transactions at start-up.
     */
    @WithDefault("30s")
    Duration transactionTimeout();
}
