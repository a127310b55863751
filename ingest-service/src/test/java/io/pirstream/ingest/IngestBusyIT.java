package io.pirstream.ingest;

import static io.pirstream.ingest.IngestApiIT.expectProblem;
import static io.pirstream.ingest.IngestApiIT.upload;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;

import io.pirstream.ingest.kafka.ChipPublisher;
import io.pirstream.testkit.imagery.TestImagery;
import io.pirstream.testkit.quarkus.EmbeddedKafkaResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A busy service refuses promptly with 503, {@code Retry-After} and a reason naming what is busy, and takes
 * uploads again once it is free. The test holds the bounded resources itself, so the service is busy for sure.
 */
@QuarkusTest
@QuarkusTestResource(EmbeddedKafkaResource.class)
@TestProfile(IngestBusyIT.OneOfEach.class)
class IngestBusyIT {

    /** One decoding slot, waited for briefly, and one Kafka writer. */
    public static class OneOfEach implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("pirstream.ingest.max-concurrent-uploads", "1", "pirstream.ingest.busy-wait", "0.2s",
                    "pirstream.kafka.producers", "1");
        }
    }

    @Inject
    DecodingSlots slots;

    @Inject
    ChipPublisher publisher;

    /**
     * An upload that gets through, so that the writer's transactional producer exists: its first start waits for
     * the broker's transaction coordinator, which is not what these tests are about.
     */
    @BeforeEach
    void awaitAnUploadThrough() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        int status = 0;
        while (status != 200 && System.nanoTime() < deadline) {
            status = upload(TestImagery.png(32, 32, 20), "warm.png").post("/v1/frames").statusCode();
            if (status != 200) {
                Thread.sleep(500);
            }
        }
        assertThat(status).as("an upload gets through once the broker is up").isEqualTo(200);
    }

    @Test
    void allDecodingSlotsTakenAnswers503WithRetryAfter() {
        byte[] png = TestImagery.png(64, 64, 21);
        try (DecodingSlots.Slot held = slots.acquire().orElseThrow()) {
            expectProblem(upload(png, "f.png").post("/v1/frames").then(), 503, "INGEST_BUSY", "decoding slots")
                    .header("Retry-After", "1")
                    .body("detail", containsString("pirstream.ingest.max-concurrent-uploads"))
                    .body("detail", containsString("Kafka is fine"));
        }
        upload(png, "f.png").post("/v1/frames").then().statusCode(200);
    }

    @Test
    void allKafkaWritersTakenIsNotReportedAsKafkaUnavailable() {
        byte[] png = TestImagery.png(64, 64, 22);
        try (ChipPublisher.Transaction held = publisher.begin()) {
            expectProblem(upload(png, "f.png").post("/v1/frames").then(), 503, "KAFKA_WRITERS_BUSY", "Kafka writers")
                    .header("Retry-After", "5") // pirstream.kafka.max-block, default
                    .body("detail", not(containsString("did not accept")));
            assertThat(held).as("the held transaction").isNotNull();
        }
        upload(png, "f.png").post("/v1/frames").then().statusCode(200);
    }
}
