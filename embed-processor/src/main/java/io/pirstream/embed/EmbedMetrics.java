package io.pirstream.embed;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/** The processor's meters: chips embedded, batch sizes, inference time per batch, end-to-end lag, dead letters. */
public final class EmbedMetrics {

    private final MeterRegistry registry;
    private final Counter embedded;
    private final DistributionSummary batchSize;
    private final Timer inference;
    private final Timer lag;

    public EmbedMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.embedded = Counter.builder("pirstream.embed.chips").description("Chips embedded").register(registry);
        this.batchSize = DistributionSummary.builder("pirstream.embed.batch.size").description("Chips per model call")
                .publishPercentiles(0.5, 0.99).publishPercentileHistogram().register(registry);
        this.inference = Timer.builder("pirstream.embed.inference").description("Model time per batch")
                .publishPercentiles(0.5, 0.99).register(registry);
        this.lag = Timer.builder("pirstream.embed.lag").description("Chip ingested -> embedding emitted")
                .publishPercentiles(0.5, 0.99).register(registry);
    }

    void batch(int size, long nanos) {
        batchSize.record(size);
        inference.record(nanos, TimeUnit.NANOSECONDS);
    }

    void embedded(Instant ingestedAt, Instant embeddedAt) {
        embedded.increment();
        lag.record(Duration.between(ingestedAt, embeddedAt).abs());
    }

    void deadLetter(Throwable cause) {
        registry.counter("pirstream.embed.dead.letters", "cause", cause.getClass().getSimpleName()).increment();
    }

    /** Chips queued for the model or in its current call: the backlog an operator watches. */
    void inferenceQueue(InferenceQueue queue) {
        Gauge.builder("pirstream.embed.queue", queue, InferenceQueue::inFlight)
                .description("Chips waiting for the model or in its current call").register(registry);
    }
}
