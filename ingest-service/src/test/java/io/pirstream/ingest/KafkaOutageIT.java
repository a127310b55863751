package io.pirstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.testkit.EmbeddedKafkaBroker;
import io.pirstream.testkit.imagery.TestImagery;
import io.pirstream.testkit.quarkus.EmbeddedKafkaResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The broker stops while the service runs (its producers know the cluster, unlike {@link KafkaDownIT}): an upload is
 * refused with 503 within the service's bounds, none of its chips is ever readable, and once the broker is back the
 * same upload is accepted. Its own application (a profile), since the broker it stops is shared by the JVM's tests.
 */
@QuarkusTest
@TestProfile(KafkaOutageIT.ShortBlock.class)
@QuarkusTestResource(EmbeddedKafkaResource.class)
class KafkaOutageIT {

    /** Waits for Kafka at most 2 s per step, as {@link KafkaDownIT} does. */
    public static class ShortBlock implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("pirstream.kafka.max-block", "2s");
        }
    }

    @Test
    void anUploadWhileTheBrokerIsDownIs503WithNothingWrittenAndTheServiceHealsWhenItIsBack() throws Exception {
        IngestApiIT.upload(TestImagery.png(300, 300, 31), "before.png").post("/v1/frames").then().statusCode(200);
        byte[] during = TestImagery.png(600, 300, 32);
        long offsetsBefore = ChipTopic.endOffsetSum();

        EmbeddedKafkaBroker broker = EmbeddedKafkaResource.broker();
        broker.stop();
        long elapsedMillis;
        try {
            long start = System.nanoTime();
            IngestApiIT.expectProblem(IngestApiIT.upload(during, "during.png").post("/v1/frames").then(), 503,
                    "KAFKA_UNAVAILABLE", "nothing was written");
            elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        } finally {
            broker.start();
        }
        System.out.println("upload with the broker stopped: 503 after " + elapsedMillis + " ms (max-block 2 s)");
        assertThat(ChipTopic.endOffsetSum()).as("nothing of the refused upload reached the chips topic")
                .isEqualTo(offsetsBefore);

        IngestResult after = IngestApiIT.upload(during, "during.png").post("/v1/frames").then().statusCode(200)
                .extract().as(IngestResult.class);
        assertThat(ChipTopic.committedKeys()).as("the same upload, accepted once the broker is back")
                .containsAll(after.chipIds());
    }
}
