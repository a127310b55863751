package io.pirstream.ingest;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Bounds how many uploads are read, decoded and cut into chips at the same time. Each one holds its file and its
 * decoded raster in memory (up to {@code max-pixels} x 4 bytes) and keeps a core busy, so without a bound a burst
 * of large uploads exhausts the heap and slows every other request.
 */
@ApplicationScoped
public class DecodingSlots {

    /** A taken slot; closing it gives it back. */
    public interface Slot extends AutoCloseable {
        @Override
        void close();
    }

    private final Semaphore permits;
    private final int count;
    private final Duration wait;

    @Inject
    public DecodingSlots(IngestConfig config) {
        this(config.maxConcurrentUploads(), config.busyWait());
    }

    DecodingSlots(int count, Duration wait) {
        if (count < 1) {
            throw new IllegalArgumentException("pirstream.ingest.max-concurrent-uploads must be at least 1, got " + count);
        }
        this.permits = new Semaphore(count, true);
        this.count = count;
        this.wait = wait;
    }

    /** A slot, waiting at most {@link #waitLimit()} for one; empty when all stay taken. */
    public Optional<Slot> acquire() {
        try {
            if (!permits.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                return Optional.empty();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
        AtomicBoolean released = new AtomicBoolean();
        return Optional.of(() -> {
            if (released.compareAndSet(false, true)) {
                permits.release();
            }
        });
    }

    public int count() {
        return count;
    }

    public Duration waitLimit() {
        return wait;
    }
}
