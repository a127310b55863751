package io.pirstream.embed;

import io.pirstream.schemas.avro.Chip;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.kafka.common.errors.InterruptException;

/**
 * Runs the model for every stream task of this process on one inference thread, batching chips across tasks.
 *
 * <p>Why a thread of its own: a chips topic has several partitions, so one stream thread runs several tasks, and a
 * batch per task means several small model calls in a row on that thread while every other task waits. Here the
 * stream thread decodes chips, queues them and forwards finished embeddings; the model always takes everything that
 * queued up while it was busy (up to {@code maxBatch}), so batches are small when traffic is light (low latency) and
 * full under a backlog (throughput), and polling Kafka and decoding images overlap with inference (decoding on the
 * inference thread kept the model waiting for it: see BENCHMARKS.md).
 *
 * <p>A batch starts when {@code maxBatch} chips are queued or the oldest has waited {@code maxWait}. At most
 * {@code 4 * maxBatch} chips wait at once: {@link #submit} blocks beyond that, which holds back the stream thread
 * (backpressure) instead of buffering a whole backlog in memory.
 *
 * <p>Nothing here is durable and nothing needs to be: each task keeps its chips in its changelogged store until it
 * forwards their outcomes itself (see {@link ChipEmbeddingProcessor}); outcomes for a closed task are dropped and
 * recomputed by whoever restores the task.
 */
public final class InferenceQueue implements AutoCloseable {

    /** A chip waiting for the model, the task it belongs to, and where it came from. */
    record Request(Inbox inbox, PendingChip source, ChipEmbedder.DecodedChip chip, long enqueuedNanos) {
    }

    /** What the model made of a request: an outcome, or the error that stopped the whole batch. */
    record Completion(Request request, ChipEmbedder.Outcome outcome, RuntimeException batchFailure) {
    }

    /** The completions of one stream task, drained on that task's own thread. */
    static final class Inbox {
        private final Queue<Completion> completed = new ConcurrentLinkedQueue<>();
        private volatile boolean closed;

        /** Takes every completion delivered so far. */
        List<Completion> drain() {
            List<Completion> out = new ArrayList<>();
            for (Completion c = completed.poll(); c != null; c = completed.poll()) {
                out.add(c);
            }
            return out;
        }
    }

    private final ChipEmbedder embedder;
    private final int maxBatch;
    private final long maxWaitNanos;
    private final int capacity;
    private final EmbedMetrics metrics;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Request> queue = new ArrayDeque<>();
    private final Thread worker;
    private int running;
    private boolean closed;
    /** The last chip the model embedded (inference thread only). */
    private ChipEmbedder.DecodedChip probe;
    /** Why the inference thread stopped on its own, if it did. */
    private Throwable stopped;

    public InferenceQueue(ChipEmbedder embedder, int maxBatch, Duration maxWait, EmbedMetrics metrics) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be >= 1, got " + maxBatch);
        }
        if (maxWait.isNegative()) {
            throw new IllegalArgumentException("maxWait must not be negative, got " + maxWait);
        }
        this.embedder = embedder;
        this.maxBatch = maxBatch;
        this.maxWaitNanos = maxWait.toNanos();
        this.capacity = 4 * maxBatch;
        this.metrics = metrics;
        metrics.inferenceQueue(this);
        this.worker = new Thread(this::run, "pir-inference");
        worker.setDaemon(true);
        worker.start();
    }

    /** A new inbox for a task that starts. */
    Inbox open() {
        return new Inbox();
    }

    /**
     * Decodes a chip on the calling thread and queues it for the model; blocks while {@code 4 * maxBatch} chips are
     * already waiting.
     *
     * @throws IllegalArgumentException naming the chip, when its image is not readable (nothing is queued)
     */
    void submit(Inbox inbox, PendingChip source, Chip chip) {
        ChipEmbedder.DecodedChip decoded = embedder.decode(chip);
        lock.lock();
        try {
            while (queue.size() >= capacity && !closed) {
                changed.await();
            }
            if (closed) {
                throw new IllegalStateException(stopped == null ? "the inference queue is closed"
                        : "the inference thread stopped: " + stopped, stopped);
            }
            queue.add(new Request(inbox, source, decoded, System.nanoTime()));
            changed.signalAll();
        } catch (InterruptedException e) {
            throw new InterruptException(e);
        } finally {
            lock.unlock();
        }
    }

    /** Forgets a closed task: its queued chips are dropped and its outcomes no longer delivered. */
    void close(Inbox inbox) {
        inbox.closed = true;
        lock.lock();
        try {
            queue.removeIf(request -> request.inbox() == inbox);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Chips queued or being embedded. */
    int inFlight() {
        lock.lock();
        try {
            return queue.size() + running;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until nothing is queued or being embedded (tests). */
    boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (queue.size() + running > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                changed.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            worker.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            for (List<Request> batch = nextBatch(); batch != null; batch = nextBatch()) {
                deliver(batch);
                lock.lock();
                try {
                    running = 0;
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        } catch (Throwable e) {
            // never leave submitters blocked on a queue nobody drains: they fail, and so does their stream thread
            lock.lock();
            try {
                stopped = e;
                closed = true;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Blocks until a batch is due and takes it; null once closed. */
    private List<Request> nextBatch() {
        lock.lock();
        try {
            while (!closed) {
                if (queue.isEmpty()) {
                    changed.await();
                    continue;
                }
                long waited = System.nanoTime() - queue.peek().enqueuedNanos();
                if (queue.size() >= maxBatch || waited >= maxWaitNanos) {
                    List<Request> batch = new ArrayList<>(Math.min(maxBatch, queue.size()));
                    while (batch.size() < maxBatch && !queue.isEmpty()) {
                        batch.add(queue.poll());
                    }
                    running = batch.size();
                    changed.signalAll(); // room for blocked submitters
                    return batch;
                }
                changed.awaitNanos(maxWaitNanos - waited);
            }
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Embeds a batch and hands each outcome to its task. When the model call fails, each chip is tried alone: a chip
     * that fails alone while the model still embeds a chip it embedded before (the probe) is the culprit and gets a
     * failed outcome (its task dead-letters it); when the probe fails too, the model itself is broken and the owning
     * tasks fail, keeping their chips for the retry.
     */
    private void deliver(List<Request> batch) {
        List<ChipEmbedder.DecodedChip> chips = new ArrayList<>(batch.size());
        batch.forEach(request -> chips.add(request.chip()));
        List<ChipEmbedder.Outcome> outcomes = null;
        RuntimeException failure = null;
        long start = System.nanoTime();
        try {
            outcomes = embedder.embed(chips, Instant.now());
            metrics.batch(chips.size(), System.nanoTime() - start);
            remember(chips, outcomes);
        } catch (RuntimeException | Error e) {
            outcomes = isolate(chips, e);
            if (outcomes == null) {
                failure = new IllegalStateException("the model failed on a batch of " + chips.size() + " chips: " + e, e);
            }
        }
        for (int i = 0; i < batch.size(); i++) {
            Request request = batch.get(i);
            if (!request.inbox().closed) {
                request.inbox().completed.add(new Completion(request, outcomes == null ? null : outcomes.get(i), failure));
            }
        }
    }

    /** Outcomes chip by chip after a failed batch, or null when the model fails on a chip it embedded before. */
    private List<ChipEmbedder.Outcome> isolate(List<ChipEmbedder.DecodedChip> chips, Throwable batchError) {
        List<ChipEmbedder.Outcome> outcomes = new ArrayList<>(chips.size());
        boolean anyFailed = false;
        for (ChipEmbedder.DecodedChip chip : chips) {
            try {
                ChipEmbedder.Outcome outcome = embedder.embed(List.of(chip), Instant.now()).get(0);
                outcomes.add(outcome);
                remember(List.of(chip), List.of(outcome));
            } catch (RuntimeException | Error alone) {
                anyFailed = true;
                outcomes.add(new ChipEmbedder.Outcome(chip.chip(), null, new IllegalArgumentException("the model fails on chip "
                        + chip.chip().getChipId() + " alone (" + alone + "); chips around it embed", alone)));
            }
        }
        if (anyFailed && !modelStillWorks()) {
            return null;
        }
        return outcomes;
    }

    /** Keeps the last chip the model embedded, to tell a poison chip from a broken model. */
    private void remember(List<ChipEmbedder.DecodedChip> chips, List<ChipEmbedder.Outcome> outcomes) {
        for (int i = chips.size() - 1; i >= 0; i--) {
            if (outcomes.get(i).succeeded()) {
                probe = chips.get(i);
                return;
            }
        }
    }

    private boolean modelStillWorks() {
        if (probe == null) {
            return false; // nothing known to embed: cannot blame a chip
        }
        try {
            embedder.embed(List.of(probe), Instant.now());
            return true;
        } catch (RuntimeException | Error e) {
            return false;
        }
    }
}
