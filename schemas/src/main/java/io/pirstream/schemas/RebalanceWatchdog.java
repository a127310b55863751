package io.pirstream.schemas;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Tells when a Kafka Streams client has been {@code REBALANCING} for longer than a limit without an error: a client
 * that Kafka Streams will not bring back by itself. Its owner first aborts hanging transactions on its partitions
 * ({@link HangingTransactions}), then gives up for the process's supervisor to restart it (the embed-processor exits
 * non-zero).
 *
 * <p>Found by the fault soak (RELIABILITY.md): after the broker was paused, an embed-processor's client stayed in
 * {@code REBALANCING} for good, its stream thread polling with no error logged, and a new process did the same; a
 * hanging transaction held back the changelog it restores from. The limit must exceed the longest legitimate
 * rebalance, restoring state stores included.
 */
public final class RebalanceWatchdog {

    private final Duration limit;
    private final Clock clock;
    private volatile Instant rebalancingSince;

    public RebalanceWatchdog(Duration limit, Clock clock) {
        if (limit.isNegative() || limit.isZero()) {
            throw new IllegalArgumentException("the rebalance limit must be positive, not " + limit);
        }
        this.limit = limit;
        this.clock = clock;
    }

    /** Follows the client's state; call it from the client's state listener. */
    public void onChange(KafkaStreams.State now) {
        if (now != KafkaStreams.State.REBALANCING) {
            rebalancingSince = null;
        } else if (rebalancingSince == null) {
            rebalancingSince = clock.instant();
        }
    }

    /** How long the client has been rebalancing, when that is longer than the limit. */
    public Optional<Duration> stuckFor() {
        Instant since = rebalancingSince;
        if (since == null) {
            return Optional.empty();
        }
        Duration rebalancing = Duration.between(since, clock.instant());
        return rebalancing.compareTo(limit) > 0 ? Optional.of(rebalancing) : Optional.empty();
    }

    /** What {@link #check} found. */
    public enum Verdict {
        /** Not rebalancing past the limit. */
        FINE,
        /** Past the limit, and the remedy did something: the client gets the whole limit again. */
        REMEDIED,
        /** Past the limit, and the remedy found nothing to do: the client will not recover by itself. */
        STUCK
    }

    /**
     * Called periodically by the client's owner: a client rebalancing past the limit gets {@code remedy} (aborting
     * hanging transactions on its topics; it returns what it did, empty for nothing).
     */
    public Verdict check(Supplier<? extends Collection<?>> remedy) {
        if (stuckFor().isEmpty()) {
            return Verdict.FINE;
        }
        if (!remedy.get().isEmpty()) {
            rearm();
            return Verdict.REMEDIED;
        }
        return Verdict.STUCK;
    }

    /** Counts the current rebalance from now: after a remedy, give the client the whole limit again. */
    public void rearm() {
        if (rebalancingSince != null) {
            rebalancingSince = clock.instant();
        }
    }

    public Duration limit() {
        return limit;
    }
}
