package io.pirstream.query;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.pirstream.model.PirModel;
import io.pirstream.schemas.Topic;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.DeadLetter;
import io.pirstream.schemas.avro.Embedding;
import io.pirstream.schemas.avro.GeoBounds;
import io.pirstream.schemas.avro.PixelWindow;
import io.pirstream.schemas.avro.Source;
import io.pirstream.testkit.imagery.TestImagery;
import io.pirstream.testkit.quarkus.EmbeddedKafkaResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The query service over real HTTP, its index fed from the embedded broker. Embeddings are written straight to the
 * topic with vectors the test controls (the query model's own text embeddings), so rankings are known exactly.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedKafkaResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = TinyModelResource.class, restrictToAnnotatedClass = false)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QueryServiceIT {

    static final String ANALYST = "test-analyst-key-0123456789";
    static final String FOREST = "a dense green forest";
    static final String HARBOUR = "a harbour with boats";

    static PirModel model;
    static Topic<String, Embedding> topic;
    static KafkaProducer<String, Embedding> producer;

    @BeforeAll
    static void setUp() {
        model = PirModel.load(TinyModelResource.checkpoint);
        topic = Topics.embeddings(model.version());
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                EmbeddedKafkaResource.broker().bootstrapServers()), topic.keySerde().serializer(),
                topic.valueSerde().serializer());
        float[][] texts = model.embedTexts(List.of(FOREST, HARBOUR));
        send("forest-chip", texts[0], Source.DRONE, "uav-1", "2026-11-01T10:00:00Z", new GeoBounds(8.5, 47.3, 8.6, 47.4));
        send("harbour-chip", texts[1], Source.SATELLITE, "sat-1", "2026-11-10T10:00:00Z", new GeoBounds(10.0, 50.0, 10.1, 50.1));
        Random random = new Random(7);
        for (int i = 0; i < 30; i++) {
            send("noise-" + i, randomUnit(random, model.dimension()), Source.DRONE, "uav-2", "2026-10-01T00:00:00Z", null);
        }
        producer.flush();
    }

    @AfterAll
    static void tearDown() {
        producer.close();
        model.close();
    }

    static void send(String id, float[] vector, Source source, String platform, String captured, GeoBounds geo) {
        producer.send(new ProducerRecord<>(topic.name(), id, embedding(id, vector, source, platform, captured, geo)));
    }

    static Embedding embedding(String id, float[] vector, Source source, String platform, String captured, GeoBounds geo) {
        List<Float> values = new ArrayList<>();
        for (float v : vector) {
            values.add(v);
        }
        Embedding embedding = Embedding.newBuilder().setChipId(id).setModelVersion(model.version()).setVector(values)
                .setSceneProbabilities(List.of(0.2f, 0.3f, 0.5f)).setTopScene("urban").setSceneId("scene-" + id)
                .setWindow(new PixelWindow(0, 0, 256, 256)).setSource(source).setPlatform(platform)
                .setCapturedAt(Instant.parse(captured)).setEmbeddedAt(Instant.now()).setGeo(geo)
                .setThumbnail(ByteBuffer.wrap(TestImagery.jpeg(48, 48, id.hashCode()))).build();
        return embedding;
    }

    static float[] randomUnit(Random random, int dimension) {
        float[] v = new float[dimension];
        double norm = 0;
        for (int i = 0; i < dimension; i++) {
            v[i] = (float) random.nextGaussian();
            norm += v[i] * v[i];
        }
        for (int i = 0; i < dimension; i++) {
            v[i] /= (float) Math.sqrt(norm);
        }
        return v;
    }

    static ValidatableResponse search(String body) {
        return given().header("Authorization", "Bearer " + ANALYST).contentType(ContentType.JSON).body(body)
                .post("/v1/search").then();
    }

    static void awaitIndexed(String chipId, boolean present) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            int status = given().header("X-API-Key", ANALYST).get("/v1/chips/" + chipId).statusCode();
            if ((status == 200) == present) {
                return;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
        throw new AssertionError("chip " + chipId + (present ? " never became" : " never stopped being") + " searchable");
    }

    @Test
    @Order(1)
    void textQueryRanksTheMatchingChipFirst() {
        // the embeddings topic has several partitions, applied in no fixed order: wait for every chip, not the last sent
        awaitIndexed("forest-chip", true);
        awaitIndexed("harbour-chip", true);
        for (int i = 0; i < 30; i++) {
            awaitIndexed("noise-" + i, true);
        }
        search("{\"text\": \"" + FOREST + "\", \"k\": 5}").statusCode(200)
                .body("modelVersion", equalTo(model.version()))
                .body("count", equalTo(5))
                .body("results[0].chipId", equalTo("forest-chip"))
                .body("results[0].thumbnailUrl", equalTo("/v1/chips/forest-chip/thumbnail"))
                .body("results[0].platform", equalTo("uav-1"));
        float score = search("{\"text\": \"" + FOREST + "\", \"k\": 1}").extract().path("results[0].score");
        assertThat(score).as("cosine of a vector with itself").isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-3f));
    }

    @Test
    @Order(2)
    void filtersNarrowTheResults() {
        search("{\"text\": \"" + FOREST + "\", \"k\": 5, \"filters\": {\"sources\": [\"SATELLITE\"]}}").statusCode(200)
                .body("count", equalTo(1)).body("results[0].chipId", equalTo("harbour-chip"));
        search("{\"text\": \"" + FOREST + "\", \"k\": 5, \"filters\": {\"bbox\": [9.9, 49.9, 10.05, 50.05]}}")
                .statusCode(200).body("count", equalTo(1)).body("results[0].chipId", equalTo("harbour-chip"));
        search("{\"text\": \"" + FOREST + "\", \"k\": 50, \"filters\": {\"from\": \"2026-10-31T00:00:00Z\","
                + " \"to\": \"2026-11-05T00:00:00Z\"}}").statusCode(200)
                .body("count", equalTo(1)).body("results[0].chipId", equalTo("forest-chip"));
        search("{\"text\": \"" + FOREST + "\", \"k\": 50, \"filters\": {\"platforms\": [\"uav-2\"]}}").statusCode(200)
                .body("count", equalTo(30));
        // halfway between the forest chip (score 1: its vector is the query's) and the closest other chip; the tiny
        // model is untrained, so that gap is measured, not assumed
        float[] forest = model.embedTexts(List.of(FOREST))[0];
        double closestOther = Math.max(dot(forest, model.embedTexts(List.of(HARBOUR))[0]), 0.9);
        String minScore = String.format(java.util.Locale.ROOT, "%.6f", (1 + closestOther) / 2);
        search("{\"text\": \"" + FOREST + "\", \"k\": 50, \"filters\": {\"minScore\": " + minScore + "}}").statusCode(200)
                .body("count", equalTo(1)).body("results[0].chipId", equalTo("forest-chip"));
    }

    @Test
    @Order(3)
    void similarChipsThumbnailsAndLookups() {
        given().header("X-API-Key", ANALYST).contentType(ContentType.JSON)
                .body("{\"chipId\": \"forest-chip\", \"k\": 3}").post("/v1/search/similar").then().statusCode(200)
                .body("count", equalTo(3)).body("results.chipId", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasItem("forest-chip")));
        byte[] thumbnail = given().header("X-API-Key", ANALYST).get("/v1/chips/forest-chip/thumbnail").then()
                .statusCode(200).contentType("image/jpeg").extract().asByteArray();
        assertThat(thumbnail).as("JPEG thumbnail").startsWith((byte) 0xFF, (byte) 0xD8);
        given().header("X-API-Key", ANALYST).get("/v1/chips/harbour-chip").then().statusCode(200)
                .body("source", equalTo("SATELLITE")).body("bounds.west", equalTo(10.0f));
        expectProblem(given().header("X-API-Key", ANALYST).get("/v1/chips/nope").then(), 404, "CHIP_NOT_FOUND");
    }

    @Test
    @Order(4)
    void newChipBecomesSearchableAndADeletedChipDisappears() {
        long start = System.nanoTime();
        send("fresh-chip", model.embedTexts(List.of("houses and roads"))[0], Source.DRONE, "uav-9",
                "2026-11-20T00:00:00Z", null);
        producer.flush();
        awaitIndexed("fresh-chip", true);
        long millis = (System.nanoTime() - start) / 1_000_000;
        System.out.println("fresh chip searchable after " + millis + " ms");
        search("{\"text\": \"houses and roads\", \"k\": 1}").body("results[0].chipId", equalTo("fresh-chip"));

        producer.send(new ProducerRecord<>(topic.name(), "forest-chip", null));
        producer.flush();
        awaitIndexed("forest-chip", false);
        search("{\"text\": \"" + FOREST + "\", \"k\": 50}").statusCode(200)
                .body("results.chipId", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasItem("forest-chip")));
    }

    @Test
    @Order(5)
    void recordsOfAnotherModelVersionAreRefusedToTheDlq() throws Exception {
        Embedding alien = Embedding.newBuilder().setChipId("alien").setModelVersion("pir-other")
                .setVector(List.of(1f)).setSceneProbabilities(List.of()).setTopScene("x").setSceneId("s")
                .setWindow(new PixelWindow(0, 0, 1, 1)).setSource(Source.DRONE).setPlatform("p")
                .setCapturedAt(Instant.now()).setEmbeddedAt(Instant.now()).setThumbnail(ByteBuffer.wrap(new byte[0]))
                .build();
        producer.send(new ProducerRecord<>(topic.name(), "alien", alien));
        producer.flush();
        List<DeadLetter> letters = new ArrayList<>();
        try (KafkaConsumer<byte[], DeadLetter> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, EmbeddedKafkaResource.broker().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "dlq-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                Topics.DLQ.keySerde().deserializer(), Topics.DLQ.valueSerde().deserializer())) {
            consumer.subscribe(List.of(Topics.DLQ.name()));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (letters.stream().noneMatch(l -> l.getErrorMessage().contains("pir-other")) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> letters.add(r.value()));
            }
        }
        assertThat(letters).as("dead letter naming both versions").anySatisfy(l -> {
            assertThat(l.getErrorMessage()).contains("pir-other").contains(model.version());
            assertThat(l.getSourceTopic()).isEqualTo(topic.name());
        });
        expectProblem(given().header("X-API-Key", ANALYST).get("/v1/chips/alien").then(), 404, "CHIP_NOT_FOUND");
    }

    @Test
    @Order(6)
    void invalidRequestsGetProblemDetails() {
        expectProblem(search("{\"text\": \"x\", \"k\": 0}"), 400, "INVALID_K").body("detail", containsString("1..100"));
        expectProblem(search("{\"text\": \"x\", \"k\": 1000}"), 400, "INVALID_K");
        expectProblem(search("{\"text\": \"  \"}"), 400, "INVALID_TEXT");
        expectProblem(search("{\"text\": \"" + "y".repeat(501) + "\"}"), 400, "INVALID_TEXT");
        expectProblem(search("{\"text\": \"x\", \"filters\": {\"bbox\": [10, 50, 9, 51]}}"), 400, "INVALID_BBOX");
        expectProblem(search("{\"text\": \"x\", \"filters\": {\"bbox\": [10, 50]}}"), 400, "INVALID_BBOX");
        expectProblem(search("{\"text\": \"x\", \"filters\": {\"sources\": [\"BALLOON\"]}}"), 400, "INVALID_FILTER");
        expectProblem(search("{\"text\": \"x\", \"filters\": {\"from\": \"2026-02-01T00:00:00Z\", \"to\": \"2026-01-01T00:00:00Z\"}}"),
                400, "INVALID_FILTER");
        expectProblem(search("{\"text\": \"x\", \"colour\": \"red\"}"), 400, "UNKNOWN_FIELD").body("detail", containsString("colour"));
        expectProblem(search("{\"text\": "), 400, "INVALID_JSON");
    }

    @Test
    @Order(7)
    void authenticationAndRolesAreEnforced() {
        expectProblem(given().contentType(ContentType.JSON).body("{\"text\": \"x\"}").post("/v1/search").then(), 401,
                "UNAUTHENTICATED");
        expectProblem(given().header("X-API-Key", "test-ingest-key-0123456789").contentType(ContentType.JSON)
                .body("{\"text\": \"x\"}").post("/v1/search").then(), 403, "FORBIDDEN");
    }

    @Test
    @Order(8)
    void healthAndMetricsReportTheIndex() {
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'vector-store' }.data.streamsState", equalTo("RUNNING"))
                .body("checks.find { it.name == 'vector-store' }.data.modelVersion", equalTo(model.version()));
        given().get("/q/health/live").then().statusCode(200)
                .body("checks.find { it.name == 'kafka-streams' }.data.index", equalTo("RUNNING"));
        given().get("/q/metrics").then().statusCode(200).body(containsString("pirstream_query_index_size"))
                .body(containsString("pirstream_query_search_seconds"))
                .body(containsString("pirstream_query_freshness_seconds"));
    }

    @Test
    @Order(9)
    void embeddingsOfAnAbortedTransactionAreNeverIndexed() {
        // both records on one partition: once the committed one is indexed, the index has read past the aborted one
        try (KafkaProducer<String, Embedding> transactional = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, EmbeddedKafkaResource.broker().bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "query-it-" + java.util.UUID.randomUUID()),
                topic.keySerde().serializer(), topic.valueSerde().serializer())) {
            transactional.initTransactions();
            transactional.beginTransaction();
            transactional.send(new ProducerRecord<>(topic.name(), 0, "aborted-chip",
                    embedding("aborted-chip", randomUnit(new Random(3), model.dimension()), Source.DRONE, "uav-x", "2026-11-02T00:00:00Z", null)));
            transactional.flush();
            transactional.abortTransaction();
            transactional.beginTransaction();
            transactional.send(new ProducerRecord<>(topic.name(), 0, "committed-chip",
                    embedding("committed-chip", randomUnit(new Random(4), model.dimension()), Source.DRONE, "uav-x", "2026-11-02T00:00:00Z", null)));
            transactional.commitTransaction();
        }
        awaitIndexed("committed-chip", true);
        given().header("X-API-Key", ANALYST).get("/v1/chips/aborted-chip").then().statusCode(404);
    }

    static ValidatableResponse expectProblem(ValidatableResponse response, int status, String reason) {
        return response.statusCode(status).contentType("application/problem+json").body("reason", equalTo(reason));
    }

    private static double dot(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }
}
