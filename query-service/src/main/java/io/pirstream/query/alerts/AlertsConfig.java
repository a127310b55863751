package io.pirstream.query.alerts;

import io.pirstream.schemas.TopicAccess;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Settings of standing queries, the matcher and alert delivery ({@code pirstream.alerts.*}). */
@ConfigMapping(prefix = "pirstream.alerts")
public interface AlertsConfig {

    /** Streams application id of the matcher; the same on every replica, so each chip is matched once. */
    @WithDefault(TopicAccess.ALERTS_APPLICATION_ID)
    String applicationId();

    /**
     * Stable name of this replica among the matcher's (env {@code PIRSTREAM_ALERTS_INSTANCE_ID}): static group
     * membership, so that a restarted replica takes its partitions back at once instead of waiting out the session
     * timeout of its previous run (45 s), alerts held back meanwhile. Unset: dynamic membership.
     */
    Optional<String> instanceId();

    /**
     * Longest the matcher may stay {@code REBALANCING} with no error: past it, hanging transactions on its topics are
     * aborted, and if there are none, liveness reports it stuck so that the service is restarted (RELIABILITY.md). Must
     * exceed the longest legitimate rebalance, restoring its stores included.
     */
    @WithDefault("5m")
    Duration maxRebalance();

    /** Embeddings matched together at most. */
    @WithDefault("64")
    int maxBatch();

    /** Longest an embedding waits for company before it is matched. */
    @WithDefault("10ms")
    Duration matchInterval();

    /** Longest a subscription change waits to be visible to this instance's matcher before the API answers. */
    @WithDefault("10s")
    Duration applyTimeout();

    /** Most subscriptions one client may hold. */
    @WithDefault("10000")
    int maxSubscriptionsPerOwner();

    /** Most concurrent alert and index streams (server-sent events) per instance. */
    @WithDefault("200")
    int maxStreams();

    /** Webhook delivery. */
    Webhook webhook();

    interface Webhook {
        /**
         * Key from which each subscription's signing secret is derived (HMAC-SHA256 of the subscription id); at
         * least 16 characters. Unset: subscriptions with a webhook are refused.
         */
        Optional<String> signingKey();

        /** Allow webhooks on loopback addresses: tests and the single-machine embedded default only. */
        @WithDefault("false")
        boolean allowLoopback();

        /** Consumer group of the webhook dispatcher (shared by replicas: each alert is delivered once). */
        @WithDefault(TopicAccess.WEBHOOKS_GROUP_ID)
        String groupId();

        /** Deliveries tried per alert before it goes to the dead-letter topic. */
        @WithDefault("5")
        int attempts();

        /** Wait before the second try; doubled after each failure. */
        @WithDefault("1s")
        Duration initialBackoff();

        /** Longest wait between tries. */
        @WithDefault("30s")
        Duration maxBackoff();

        /** Longest wait for a receiver's answer per try. */
        @WithDefault("5s")
        Duration timeout();
    }
}
