package io.pirstream.ingest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.pirstream.schemas.Topics;
import io.pirstream.testkit.EmbeddedKafkaBroker;
import io.pirstream.testkit.imagery.TestImagery;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * With no broker reachable, uploads answer 503 promptly and readiness is down; once a broker starts there, the service
 * gets ready by itself, with every topic an upload writes to, and uploads are accepted (a service started before its
 * Kafka, as compose and Kubernetes start them).
 */
@QuarkusTest
@TestProfile(KafkaDownIT.NoBroker.class)
class KafkaDownIT {

    /** Points the service at a port where nothing listens. */
    public static class NoBroker implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("pirstream.kafka.bootstrap-servers", "localhost:" + closedPort(),
                    "pirstream.kafka.max-block", "2s");
        }
    }

    @ConfigProperty(name = "pirstream.kafka.bootstrap-servers")
    String bootstrapServers;

    @Test
    void uploadAnswers503WhileNoBrokerAnswersAndIsAcceptedOnceOneStarts() throws Exception {
        IngestApiIT.expectProblem(IngestApiIT.upload(TestImagery.png(64, 64, 1), "f.png").post("/v1/frames").then(),
                503, "KAFKA_UNAVAILABLE", "nothing was written");
        given().get("/q/health/ready").then().statusCode(503)
                .body("checks.find { it.name == 'kafka' }.status", equalTo("DOWN"))
                .body("checks.find { it.name == 'kafka' }.data.error", containsString("Timeout"));

        int port = Integer.parseInt(bootstrapServers.substring(bootstrapServers.lastIndexOf(':') + 1));
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().optPort(port).build().start()) {
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (given().get("/q/health/ready").statusCode() != 200 && System.nanoTime() < deadline) {
                Thread.sleep(500);
            }
            given().get("/q/health/ready").then().statusCode(200);
            try (Admin admin = broker.admin()) {
                assertThat(admin.listTopics().names().get()).as("the topics an upload writes to, created by the"
                        + " service once Kafka answered").contains(Topics.CHIPS.name(), Topics.SCENES.name());
            }
            IngestApiIT.upload(TestImagery.png(64, 64, 2), "f.png").post("/v1/frames").then().statusCode(200);
        }
    }

    static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
