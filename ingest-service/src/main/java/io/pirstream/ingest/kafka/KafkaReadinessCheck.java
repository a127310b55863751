package io.pirstream.ingest.kafka;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready only while the Kafka cluster answers, the topics an upload writes to (chips and scenes) exist and the
 * transactions this instance's previous run left open are aborted (until then they hold back every read_committed
 * reader).
 */
@Readiness
@ApplicationScoped
public class KafkaReadinessCheck implements HealthCheck {

    private final ChipPublisher publisher;

    public KafkaReadinessCheck(ChipPublisher publisher) {
        this.publisher = publisher;
    }

    @Override
    public HealthCheckResponse call() {
        var response = HealthCheckResponse.named("kafka").withData("topics", String.join(",", publisher.topicNames()));
        try {
            int nodes = publisher.admin().describeCluster().nodes().get(3, TimeUnit.SECONDS).size();
            Set<String> existing = publisher.admin().listTopics().names().get(3, TimeUnit.SECONDS);
            List<String> missing = publisher.topicNames().stream().filter(name -> !existing.contains(name)).toList();
            boolean fenced = publisher.previousRunFenced();
            return response.withData("brokers", nodes).withData("topicsMissing", String.join(",", missing))
                    .withData("previousRunFenced", fenced).status(missing.isEmpty() && fenced).build();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return response.withData("error", e.getClass().getSimpleName() + ": " + e.getMessage()).down().build();
        }
    }
}
