package io.pirstream.schemas;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens when a stream thread of a PIRStream Kafka Streams client dies (the embedders, the alert matcher): it is
 * replaced, and its tasks restart from their last commit (under exactly-once, whatever the dead thread had not
 * committed is aborted and done again), unless threads keep dying, which means something no restart inside the process
 * fixes (the model itself is broken, say): then the client shuts down, for the process's supervisor to act on
 * (the embed-processor exits non-zero; the query service reports itself not live).
 *
 * <p>Without it Kafka Streams shuts the whole client down on the first error, such as the
 * {@code InvalidTxnStateException} a commit can meet right after a broker restart (RELIABILITY.md, fault soak).
 */
public final class StreamThreadRecovery implements StreamsUncaughtExceptionHandler {

    private static final Logger LOG = LoggerFactory.getLogger(StreamThreadRecovery.class);

    private final int maxReplacements;
    private final Duration window;
    private final Clock clock;
    private final Deque<Long> recent = new ArrayDeque<>();

    /** Replaces up to {@code maxReplacements} threads per {@code window}. */
    public StreamThreadRecovery(int maxReplacements, Duration window, Clock clock) {
        this.maxReplacements = maxReplacements;
        this.window = window;
        this.clock = clock;
    }

    @Override
    public synchronized StreamThreadExceptionResponse handle(Throwable exception) {
        long now = clock.millis();
        while (!recent.isEmpty() && recent.peekFirst() < now - window.toMillis()) {
            recent.removeFirst();
        }
        if (recent.size() >= maxReplacements) {
            LOG.error("{} stream threads died within {}; shutting down for a restart of the process", recent.size() + 1, window, exception);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        recent.addLast(now);
        LOG.warn("Stream thread died; replacing it (its tasks resume from their last commit)", exception);
        return StreamThreadExceptionResponse.REPLACE_THREAD;
    }
}
