package io.pirstream.embed;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/** The processor's meters: chips embedded, re-uploads skipped, batch sizes, inference time per batch, end-to-end lag, dead letters. */
public final class EmbedMetrics {

    private final MeterRegistry registry;
    private final Tags tags;
    private final Counter embedded;
    private final Counter unchanged;
    private final DistributionSummary batchSize;
    private final Timer inference;
    private final Timer lag;

    public EmbedMetrics(MeterRegistry registry) {
        this(registry, Tags.empty());
    }

    /** Metrics of one model release's pipeline, tagged {@code model=<version>}. */
    public EmbedMetrics(MeterRegistry registry, String modelVersion) {
        this(registry, Tags.of("model", modelVersion));
    }

    private EmbedMetrics(MeterRegistry registry, Tags tags) {
        this.registry = registry;
        this.tags = tags;
        this.embedded = Counter.builder("pirstream.embed.chips").tags(tags).description("Chips embedded").register(registry);
        this.unchanged = Counter.builder("pirstream.embed.chips.unchanged").tags(tags)
                .description("Re-uploaded chips skipped: identical to the one whose embedding was written").register(registry);
        this.batchSize = DistributionSummary.builder("pirstream.embed.batch.size").tags(tags).description("Chips per model call")
                .publishPercentiles(0.5, 0.99).publishPercentileHistogram().register(registry);
        this.inference = Timer.builder("pirstream.embed.inference").tags(tags).description("Model time per batch")
                .publishPercentiles(0.5, 0.99).register(registry);
        this.lag = Timer.builder("pirstream.embed.lag").tags(tags).description("Chip ingested -> embedding emitted")
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

    void unchanged() {
        unchanged.increment();
    }

    void deadLetter(Throwable cause) {
        registry.counter("pirstream.embed.dead.letters", tags.and("cause", cause.getClass().getSimpleName())).increment();
    }

    /** Chips queued for the model or in its current call: the backlog an operator watches. */
    void inferenceQueue(InferenceQueue queue) {
        Gauge.builder("pirstream.embed.queue", queue, InferenceQueue::inFlight).tags(tags)
                .description("Chips waiting for the model or in its current call").register(registry);
    }
}
