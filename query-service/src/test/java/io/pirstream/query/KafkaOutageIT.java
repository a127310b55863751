package io.pirstream.query;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.model.PirModel;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Embedding;
import io.pirstream.schemas.avro.PixelWindow;
import io.pirstream.schemas.avro.Source;
import io.pirstream.testkit.EmbeddedKafkaBroker;
import io.pirstream.testkit.imagery.TestImagery;
import io.pirstream.testkit.quarkus.EmbeddedKafkaResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * With the broker stopped, the query service keeps answering searches from its local index and says in its readiness
 * that the index is stale, and since when; once Kafka is back it says so too. Its own application (a profile), since
 * the broker it stops is shared by the JVM's tests; the broker is started again whatever happens.
 */
@QuarkusTest
@TestProfile(KafkaOutageIT.OwnIndex.class)
@QuarkusTestResource(value = EmbeddedKafkaResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = TinyModelResource.class, restrictToAnnotatedClass = false)
class KafkaOutageIT {

    /** An application id of its own: its index starts empty and reads the topic from the beginning. */
    public static class OwnIndex implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("pirstream.query.application-id", "pirstream-query-outage");
        }
    }

    private static final String LAKE = "a quiet lake surrounded by forest";

    @Test
    void searchesAreAnsweredFromTheLocalIndexWhileKafkaIsDownAndHealthSaysItIsStaleSinceWhen() throws Exception {
        try (PirModel model = PirModel.load(TinyModelResource.checkpoint);
             KafkaProducer<String, Embedding> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, EmbeddedKafkaResource.broker().bootstrapServers()),
                Topics.embeddings(model.version()).keySerde().serializer(),
                Topics.embeddings(model.version()).valueSerde().serializer())) {
            List<Float> vector = new ArrayList<>();
            for (float x : model.embedTexts(List.of(LAKE))[0]) {
                vector.add(x);
            }
            Embedding lake = Embedding.newBuilder().setChipId("lake-chip").setModelVersion(model.version())
                    .setVector(vector).setSceneProbabilities(List.of()).setTopScene("lake").setSceneId("scene-lake")
                    .setWindow(new PixelWindow(0, 0, 256, 256)).setSource(Source.DRONE).setPlatform("uav-1")
                    .setCapturedAt(Instant.parse("2026-11-01T10:00:00Z")).setEmbeddedAt(Instant.now())
                    .setThumbnail(ByteBuffer.wrap(TestImagery.jpeg(48, 48, 1))).build();
            producer.send(new ProducerRecord<>(Topics.embeddings(model.version()).name(), "lake-chip", lake));
        }
        QueryServiceIT.awaitIndexed("lake-chip", true);
        JsonPath fresh = awaitIndexCheck(check -> !check.getBoolean("data.stale"));
        assertThat(fresh.getString("status")).as("ready while Kafka answers").isEqualTo("UP");

        EmbeddedKafkaBroker broker = EmbeddedKafkaResource.broker();
        Instant stopped = Instant.now();
        broker.stop();
        try {
            JsonPath stale = awaitIndexCheck(check -> check.getBoolean("data.stale"));
            assertThat(stale.getString("status")).as("still ready: it answers from its index").isEqualTo("UP");
            Instant since = Instant.parse(stale.getString("data.staleSince"));
            assertThat(since).as("stale since the last time Kafka answered, before the stop").isBefore(stopped);
            assertThat(stale.getString("data.staleReason")).as("why").contains("Kafka does not answer");
            assertThat(QueryServiceIT.search("{\"text\": \"" + LAKE + "\", \"k\": 5}").statusCode(200).extract()
                    .jsonPath().getList("results.chipId", String.class)).as("searches answered from the local index")
                    .contains("lake-chip");
        } finally {
            broker.start();
        }
        assertThat(awaitIndexCheck(check -> !check.getBoolean("data.stale")).getString("status"))
                .as("fresh again once Kafka is back").isEqualTo("UP");
    }

    /** The index's readiness check once it satisfies {@code condition} (bounded poll). */
    private static JsonPath awaitIndexCheck(Predicate<JsonPath> condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        JsonPath check = null;
        while (System.nanoTime() < deadline) {
            JsonPath health = given().get("/q/health/ready").then().extract().jsonPath();
            check = new JsonPath(health.prettify()).setRootPath("checks.find { it.name == 'vector-store' }");
            if (check.get("data") != null && condition.test(check)) {
                return check;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("readiness never reached the expected state; last: " + check.prettify());
    }
}
