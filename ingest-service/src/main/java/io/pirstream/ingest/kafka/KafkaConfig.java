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

    /** How long a write may wait for Kafka before the request fails with 503. */
    @WithDefault("5s")
    Duration maxBlock();

    /** Replication factor for topics this service creates. */
    @WithDefault("1")
    short replicationFactor();

    /** Create missing topics at start-up. */
    @WithDefault("true")
    boolean ensureTopics();

    /** Concurrent scene transactions (one transactional producer each). */
    @WithDefault("4")
    int producers();
}
