package io.pirstream.ingest.kafka;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready only while the Kafka cluster answers, the chips topic exists and the transactions this instance's previous
 * run left open are aborted (until then they hold back every read_committed reader).
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
        var response = HealthCheckResponse.named("kafka").withData("topic", publisher.topicName());
        try {
            int nodes = publisher.admin().describeCluster().nodes().get(3, TimeUnit.SECONDS).size();
            boolean topicExists = publisher.admin().listTopics().names().get(3, TimeUnit.SECONDS)
                    .contains(publisher.topicName());
            boolean fenced = publisher.previousRunFenced();
            return response.withData("brokers", nodes).withData("topicExists", topicExists)
                    .withData("previousRunFenced", fenced).status(topicExists && fenced).build();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return response.withData("error", e.getClass().getSimpleName() + ": " + e.getMessage()).down().build();
        }
    }
}
