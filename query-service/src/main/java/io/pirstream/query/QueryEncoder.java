package io.pirstream.query;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.pirstream.model.PirModel;
import io.pirstream.service.api.ProblemException;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Turns search texts into query vectors with a model; encoding is the CPU-heavy part of a search.
 *
 * <ul>
 *   <li>Texts of searches that arrive while the workers are busy are encoded together, in one model call: on CPU one
 *       batch of n texts costs far less than n calls one after another. A few worker threads
 *       ({@code pirstream.query.encoder-workers}) each take their share of what is queued when they are free, so with
 *       one search at a time nothing waits for a batch to fill, and under load a batch starts on a second core while
 *       another is in the model.</li>
 *   <li>Vectors of recent texts are kept per model version ({@code pirstream.query.text-cache-size}): monitors and
 *       dashboards repeat their texts, and a repeated text costs no model call.</li>
 *   <li>At most {@code max-concurrent-encodings} searches wait for or are in the model at once; another waits up to
 *       {@code busy-wait} for room and is then refused with 503 {@code ENCODER_BUSY} and {@code Retry-After}.</li>
 * </ul>
 */
@ApplicationScoped
public class QueryEncoder {

    /** A search's text waiting for the worker, with the model of the index it will search. */
    private record Pending(PirModel model, String text, CompletableFuture<float[]> vector) {
    }

    private final Semaphore admitted;
    private final int capacity;
    private final int maxBatch;
    private final Duration wait;
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Map<String, float[]> recent;
    private final Counter hits;
    private final Counter misses;
    private final DistributionSummary batches;
    private final List<Thread> workers;

    @Inject
    public QueryEncoder(QueryConfig config, MeterRegistry metrics) {
        this(config.maxConcurrentEncodings(), config.encoderWorkers(), config.maxEncodingBatch(),
                config.textCacheSize(), config.busyWait(), metrics);
    }

    QueryEncoder(int capacity, int workerCount, int maxBatch, int cacheSize, Duration wait, MeterRegistry metrics) {
        if (capacity < 1 || workerCount < 1 || maxBatch < 1 || cacheSize < 0) {
            throw new IllegalArgumentException("pirstream.query.max-concurrent-encodings, encoder-workers and"
                    + " max-encoding-batch must be at least 1 and text-cache-size at least 0; got " + capacity + ", "
                    + workerCount + ", " + maxBatch + ", " + cacheSize);
        }
        this.admitted = new Semaphore(capacity, true);
        this.capacity = capacity;
        this.maxBatch = maxBatch;
        this.wait = wait;
        this.recent = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, float[]> eldest) {
                return size() > cacheSize;
            }
        };
        this.hits = Counter.builder("pirstream.query.text.cache").tag("result", "hit")
                .description("Search texts whose vector was remembered").register(metrics);
        this.misses = Counter.builder("pirstream.query.text.cache").tag("result", "miss")
                .description("Search texts encoded by the model").register(metrics);
        this.batches = DistributionSummary.builder("pirstream.query.encoding.batch")
                .description("Texts per model call of the query encoder").publishPercentiles(0.5, 0.99).register(metrics);
        List<Thread> threads = new ArrayList<>(workerCount);
        for (int i = 0; i < workerCount; i++) {
            Thread worker = new Thread(this::work, "pirstream-query-encoder-" + i);
            worker.setDaemon(true);
            threads.add(worker);
        }
        this.workers = List.copyOf(threads); // complete before any worker reads its size
        workers.forEach(Thread::start);
    }

    /**
     * The unit vector of {@code text} by {@code model} (a copy: callers may keep or change it).
     *
     * @throws ProblemException 503 {@code ENCODER_BUSY} when the encoder stays full for the configured wait
     */
    public float[] encode(PirModel model, String text) {
        String key = model.version() + '\n' + text;
        float[] known;
        synchronized (recent) {
            known = recent.get(key);
        }
        if (known != null) {
            hits.increment();
            return known.clone();
        }
        misses.increment();
        float[] vector = admitted(() -> {
            Pending pending = new Pending(model, text, new CompletableFuture<>());
            queue.add(pending);
            try {
                return pending.vector().join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof RuntimeException cause ? cause : e;
            }
        });
        synchronized (recent) {
            recent.put(key, vector);
        }
        return vector.clone();
    }

    /** Runs {@code work} holding one of the encoder's places (tests hold them all to see the 503). */
    <T> T admitted(Supplier<T> work) {
        try {
            if (!admitted.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                throw ProblemException.busy(Response.Status.SERVICE_UNAVAILABLE, "ENCODER_BUSY", "All " + capacity
                        + " places of the query encoder (pirstream.query.max-concurrent-encodings) stayed taken by other"
                        + " searches for " + wait + "; the index is fine, retry shortly", wait);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the query encoder", e);
        }
        try {
            return work.get();
        } finally {
            admitted.release();
        }
    }

    private void work() {
        List<Pending> taken = new ArrayList<>(maxBatch);
        while (!Thread.currentThread().isInterrupted()) {
            try {
                taken.add(queue.take());
            } catch (InterruptedException e) {
                break;
            }
            // a fair share of what is waiting, so that another worker free now or soon starts on the rest instead of
            // every text waiting for one big batch
            int share = (taken.size() + queue.size() + workers.size() - 1) / workers.size();
            queue.drainTo(taken, Math.min(maxBatch, share) - 1);
            // during a model flip two versions may be queued: one call per model
            Map<PirModel, List<Pending>> byModel = new LinkedHashMap<>();
            taken.forEach(pending -> byModel.computeIfAbsent(pending.model(), m -> new ArrayList<>()).add(pending));
            byModel.forEach(this::encodeBatch);
            taken.clear();
        }
        List<Pending> left = new ArrayList<>();
        queue.drainTo(left);
        left.forEach(pending -> pending.vector().completeExceptionally(
                new IllegalStateException("the query service is stopping")));
    }

    private void encodeBatch(PirModel model, List<Pending> batch) {
        try {
            float[][] vectors = model.embedTexts(batch.stream().map(Pending::text).toList());
            batches.record(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).vector().complete(vectors[i]);
            }
        } catch (RuntimeException | Error e) { // e.g. the model was closed after a flip: each search reports it
            batch.forEach(pending -> pending.vector().completeExceptionally(e));
        }
    }

    @PreDestroy
    void stop() {
        workers.forEach(Thread::interrupt);
    }
}
