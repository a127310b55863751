package io.pirstream.query.api;

import io.pirstream.query.SearchEngine;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.streams.KafkaStreams;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the vector store is restored and following its topic (Kafka Streams RUNNING). */
@Readiness
@ApplicationScoped
public class IndexReadinessCheck implements HealthCheck {

    private final SearchEngine engine;

    public IndexReadinessCheck(SearchEngine engine) {
        this.engine = engine;
    }

    @Override
    public HealthCheckResponse call() {
        KafkaStreams.State state = engine.state();
        return HealthCheckResponse.named("vector-store")
                .withData("streamsState", state.name())
                .withData("indexSize", engine.indexSize().orElse(-1))
                .withData("modelVersion", engine.modelVersion())
                .status(state == KafkaStreams.State.RUNNING)
                .build();
    }
}
