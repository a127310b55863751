package io.pirstream.query.alerts;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** What the matcher reports on {@code /q/metrics}. */
public final class AlertMetrics {

    private final Timer match;
    private final DistributionSummary batchSize;
    private final io.micrometer.core.instrument.Counter raised;
    private final io.micrometer.core.instrument.Counter suppressed;
    private final Timer latency;

    public AlertMetrics(MeterRegistry registry, Supplier<Number> subscriptions) {
        match = Timer.builder("pirstream.alerts.match").description("One batched match: embeddings x subscriptions")
                .publishPercentiles(0.5, 0.99).register(registry);
        batchSize = DistributionSummary.builder("pirstream.alerts.batch.size").description("Embeddings per match")
                .publishPercentiles(0.5, 0.99).register(registry);
        raised = registry.counter("pirstream.alerts.raised");
        suppressed = registry.counter("pirstream.alerts.duplicates.suppressed");
        latency = Timer.builder("pirstream.alerts.latency").description("Chip ingested -> alert raised")
                .publishPercentiles(0.5, 0.99).register(registry);
        Gauge.builder("pirstream.alerts.subscriptions", subscriptions).description("Subscriptions this matcher matches")
                .register(registry);
    }

    void matched(int embeddings, long nanos) {
        batchSize.record(embeddings);
        match.record(nanos, TimeUnit.NANOSECONDS);
    }

    void raised(Duration sinceIngest) {
        raised.increment();
        if (sinceIngest != null) {
            latency.record(sinceIngest.abs());
        }
    }

    void suppressed() {
        suppressed.increment();
    }
}
