package io.pirstream.ingest;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.pirstream.testkit.imagery.TestImagery;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** With no broker reachable, uploads answer 503 promptly and readiness is down. */
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

    @Test
    void uploadAnswers503AndReadinessIsDown() {
        IngestApiIT.expectProblem(IngestApiIT.upload(TestImagery.png(64, 64, 1), "f.png").post("/v1/frames").then(),
                503, "KAFKA_UNAVAILABLE", "nothing was written");
        given().get("/q/health/ready").then().statusCode(503)
                .body("checks.find { it.name == 'kafka' }.status", equalTo("DOWN"))
                .body("checks.find { it.name == 'kafka' }.data.error", containsString("Timeout"));
    }

    static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
