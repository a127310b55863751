package io.pirstream.query.api;

import io.pirstream.query.QueryConfig;
import io.pirstream.query.SearchEngine;
import io.pirstream.service.kafka.KafkaClients;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready once the vector store is restored and following its topic (Kafka Streams RUNNING). While Kafka does not
 * answer, the instance stays ready, since it answers searches from its local index, and says that the index is stale
 * and since when: the last time Kafka answered this check (or the start, if it never did).
 */
@Readiness
@ApplicationScoped
public class IndexReadinessCheck implements HealthCheck {

    /** How long one check waits for Kafka: probes call it every few seconds. */
    static final Duration KAFKA_PROBE_TIMEOUT = Duration.ofSeconds(2);

    private final SearchEngine engine;
    private final Admin admin;
    private volatile Instant lastKafkaContact;
    private final Instant started = Instant.now();

    public IndexReadinessCheck(SearchEngine engine, QueryConfig config, KafkaClients clients) {
        this.engine = engine;
        int timeout = (int) KAFKA_PROBE_TIMEOUT.toMillis();
        this.admin = Admin.create(clients.config(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                config.bootstrapServers(), AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeout,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeout)));
    }

    void onStop(@Observes ShutdownEvent event) {
        admin.close(Duration.ofSeconds(2));
    }

    @Override
    public HealthCheckResponse call() {
        KafkaStreams.State state = engine.state();
        HealthCheckResponseBuilder response = HealthCheckResponse.named("vector-store")
                .withData("streamsState", state.name())
                .withData("indexSize", engine.indexSize().orElse(-1))
                .withData("modelVersion", engine.servingVersion().orElse("none yet"));
        String unreachable = kafkaUnreachable();
        if (unreachable == null) {
            response.withData("stale", false);
        } else {
            Instant since = lastKafkaContact == null ? started : lastKafkaContact;
            response.withData("stale", true).withData("staleSince", since.toString())
                    .withData("staleReason", "Kafka does not answer (" + unreachable + "): searches answer from the"
                            + " local index, which misses what was written or deleted since");
        }
        return response.status(state == KafkaStreams.State.RUNNING).build();
    }

    /** Null when Kafka answered now; otherwise what went wrong. */
    private String kafkaUnreachable() {
        try {
            admin.describeCluster().nodes().get(KAFKA_PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            lastKafkaContact = Instant.now();
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } catch (Exception e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return cause.getClass().getSimpleName() + ": " + cause.getMessage();
        }
    }
}
