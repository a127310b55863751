package io.pirstream.query;

import io.pirstream.service.api.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Bounds how many query texts are encoded by the model at once. Encoding is the CPU-heavy part of a search; beyond
 * the cores, more at once only makes every search slower, so excess searches wait briefly and are then refused
 * with 503 and {@code Retry-After}.
 */
@ApplicationScoped
public class EncodingSlots {

    private final Semaphore permits;
    private final int count;
    private final Duration wait;

    @Inject
    public EncodingSlots(QueryConfig config) {
        this(config.maxConcurrentEncodings(), config.busyWait());
    }

    EncodingSlots(int count, Duration wait) {
        if (count < 1) {
            throw new IllegalArgumentException("pirstream.query.max-concurrent-encodings must be at least 1, got "
                    + count);
        }
        this.permits = new Semaphore(count, true);
        this.count = count;
        this.wait = wait;
    }

    /**
     * Runs {@code encoding} in a slot.
     *
     * @throws ProblemException 503 {@code ENCODER_BUSY} when every slot stays taken for the configured wait
     */
    public <T> T run(Supplier<T> encoding) {
        try {
            if (!permits.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                throw ProblemException.busy(Response.Status.SERVICE_UNAVAILABLE, "ENCODER_BUSY", "All " + count
                        + " query encoders (pirstream.query.max-concurrent-encodings) stayed busy with other searches"
                        + " for " + wait + "; the index is fine, retry shortly", wait);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a query encoder", e);
        }
        try {
            return encoding.get();
        } finally {
            permits.release();
        }
    }
}
