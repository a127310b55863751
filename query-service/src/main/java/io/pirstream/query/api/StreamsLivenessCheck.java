package io.pirstream.query.api;

import io.pirstream.query.SearchEngine;
import io.pirstream.query.alerts.AlertMatcher;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Optional;
import org.apache.kafka.streams.KafkaStreams;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;

/**
 * Live while neither of the service's Kafka Streams clients (the index, the alert matcher) has failed, and the
 * matcher is not stuck rebalancing ({@link AlertMatcher#stuckFor}). A client in
 * ERROR never recovers by itself: the index's global thread cannot be replaced, and a failed client stops serving
 * fresh results for good. The restart path is the liveness probe: {@code /q/health/live} answers DOWN and the
 * orchestrator restarts the process, which restores the index from its local state and the topic. Restarting the
 * clients inside the process would have to rebuild the index and the matcher's state while requests use them.
 */
@Liveness
@ApplicationScoped
public class StreamsLivenessCheck implements HealthCheck {

    private final SearchEngine engine;
    private final AlertMatcher matcher;

    public StreamsLivenessCheck(SearchEngine engine, AlertMatcher matcher) {
        this.engine = engine;
        this.matcher = matcher;
    }

    /** Whether a client in this state has failed for good (a closed or not yet started one has not). */
    static boolean failed(KafkaStreams.State state) {
        return state == KafkaStreams.State.ERROR || state == KafkaStreams.State.PENDING_ERROR;
    }

    @Override
    public HealthCheckResponse call() {
        KafkaStreams.State index = engine.state();
        KafkaStreams.State alerts = matcher.state();
        Optional<Duration> alertsStuck = matcher.stuckFor();
        HealthCheckResponseBuilder response = HealthCheckResponse.named("kafka-streams")
                .withData("index", index.name())
                .withData("alertMatcher", alerts.name());
        alertsStuck.ifPresent(d -> response.withData("alertMatcherStuckRebalancingFor", d.toString()));
        return response.status(!failed(index) && !failed(alerts) && alertsStuck.isEmpty()).build();
    }
}
