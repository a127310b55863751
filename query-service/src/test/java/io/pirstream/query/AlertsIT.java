package io.pirstream.query;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

import com.sun.net.httpserver.HttpServer;
import io.pirstream.model.PirModel;
import io.pirstream.query.alerts.AlertMatcher;
import io.pirstream.query.alerts.AlertsConfig;
import io.pirstream.query.alerts.WebhookSigner;
import io.pirstream.schemas.Topic;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Alert;
import io.pirstream.schemas.avro.DeadLetter;
import io.pirstream.schemas.avro.Embedding;
import io.pirstream.schemas.avro.Feedback;
import io.pirstream.schemas.avro.GeoBounds;
import io.pirstream.schemas.avro.PixelWindow;
import io.pirstream.schemas.avro.Source;
import io.pirstream.testkit.imagery.TestImagery;
import io.pirstream.testkit.quarkus.EmbeddedKafkaResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Standing queries end to end over real HTTP and the embedded broker: embeddings are written to the topic with
 * vectors the test controls (the query model's own encoding of the subscription text scores 1), so which chip matches
 * is known. Each test's subscriptions filter on a platform of their own, so tests do not see each other's chips.
 * "No second alert" is checked once the matcher has committed every embedding (its group offsets reached the end of
 * the topic), by reading {@code pir.alerts} to its end, so no fixed wait decides it.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedKafkaResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = TinyModelResource.class, restrictToAnnotatedClass = false)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AlertsIT {

    static final String ALICE = "test-analyst-key-0123456789";
    static final String BOB = "test-other-analyst-key-0123";
    static final String OPS = "test-operator-key-0123456789";
    static final String FLOOD = "a flooded road near a river";
    static final Duration AWAIT = Duration.ofSeconds(60);

    static PirModel model;
    static Topic<String, Embedding> embeddings;
    static KafkaProducer<String, Embedding> producer;
    static Admin admin;
    static String floodSubscription;
    static String readyBeforeFlood;
    static String floodAlertEventId;
    static String baseUrl;
    static final Set<String> SENT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @Inject
    AlertMatcher matcher;
    @Inject
    AlertsConfig alertsConfig;
    @ConfigProperty(name = "pirstream.query.state-dir")
    String stateDir;
    @TestHTTPResource("/")
    URL base;

    @BeforeAll
    static void setUp() {
        model = PirModel.load(TinyModelResource.checkpoint);
        embeddings = Topics.embeddings(model.version());
        String bootstrap = EmbeddedKafkaResource.broker().bootstrapServers();
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                embeddings.keySerde().serializer(), embeddings.valueSerde().serializer());
        admin = Admin.create(Map.of("bootstrap.servers", bootstrap));
    }

    /** Deletes every chip this class indexed: the index is shared with the other tests of the application. */
    @AfterAll
    static void tearDown() throws Exception {
        for (String id : SENT) {
            producer.send(new ProducerRecord<>(embeddings.name(), id, null)).get(30, TimeUnit.SECONDS);
        }
        for (String id : SENT) {
            awaitCondition(() -> given().baseUri(baseUrl).header("Authorization", "Bearer " + ALICE).get("/v1/chips/" + id)
                    .statusCode() == 404,
                    "chip " + id + " to leave the index");
        }
        producer.close();
        admin.close();
        model.close();
    }

    @org.junit.jupiter.api.BeforeEach
    void rememberTheService() {
        baseUrl = base.toString(); // for the clean-up, which runs after Quarkus' per-test HTTP settings are gone
    }

    @Test
    @Order(1)
    void invalidSubscriptionsGetProblemDetails() {
        expectProblem(create(ALICE, "{\"text\": \" \", \"threshold\": 0.3}"), 400, "INVALID_TEXT");
        expectProblem(create(ALICE, "{\"text\": \"" + "y".repeat(501) + "\", \"threshold\": 0.3}"), 400, "INVALID_TEXT");
        expectProblem(create(ALICE, "{\"text\": \"x\", \"threshold\": 1.5}"), 400, "INVALID_THRESHOLD");
        expectProblem(create(ALICE, "{\"text\": \"x\"}"), 400, "INVALID_THRESHOLD");
        expectProblem(create(ALICE, "{\"text\": \"x\", \"threshold\": 0.3, \"filters\": {\"bbox\": [10, 50, 9, 51]}}"),
                400, "INVALID_BBOX");
        expectProblem(create(ALICE, "{\"text\": \"x\", \"threshold\": 0.3, \"filters\": {\"sources\": [\"KITE\"]}}"),
                400, "INVALID_FILTER");
        expectProblem(create(ALICE, "{\"text\": \"x\", \"threshold\": 0.3, \"filters\": {\"colour\": \"red\"}}"),
                400, "UNKNOWN_FIELD");
        expectProblem(create(ALICE, "{\"text\": \"x\", \"threshold\": 0.3, \"webhookUrl\": \"ftp://example.org/x\"}"),
                400, "INVALID_WEBHOOK");
        for (String internal : List.of("http://10.1.2.3/hook", "http://192.168.0.9/hook", "http://169.254.169.254/latest",
                "https://[fd00::1]/hook", "http://224.0.0.1/x", "http://0.0.0.0/x")) {
            expectProblem(create(ALICE, "{\"text\": \"x\", \"threshold\": 0.3, \"webhookUrl\": \"" + internal + "\"}"),
                    400, "INVALID_WEBHOOK").body("detail", org.hamcrest.Matchers.containsString("public address"));
        }
        expectProblem(given().contentType(ContentType.JSON).body("{\"text\": \"x\", \"threshold\": 0.3}")
                .post("/v1/subscriptions").then(), 401, "UNAUTHENTICATED");
        expectProblem(given().header("Authorization", "Bearer test-ingest-key-0123456789").get("/v1/subscriptions").then(),
                403, "FORBIDDEN");
        expectProblem(given().header("Authorization", "Bearer " + ALICE).header("Last-Event-ID", "yesterday")
                .get("/v1/alerts/stream").then(), 400, "INVALID_LAST_EVENT_ID");
    }

    @Test
    @Order(2)
    void aMatchingChipRaisesExactlyOneAlertOnTheTopicAndTheStreamAndANonMatchingOneNone() throws Exception {
        floodSubscription = create(ALICE, "{\"text\": \"" + FLOOD + "\", \"threshold\": 0.95, \"filters\":"
                + " {\"platforms\": [\"it-flood\"]}}").statusCode(201).body("owner", equalTo("default"))
                .body("active", equalTo(true)).body("modelVersion", equalTo(model.version()))
                .extract().path("id");
        try (SseClient alice = stream(ALICE, null); SseClient bob = stream(BOB, null)) {
            SseClient.Event ready = alice.next("ready", AWAIT);
            assertThat(ready).as("alice's stream opened").isNotNull();
            readyBeforeFlood = ready.id();
            assertThat(bob.next("ready", AWAIT)).as("bob's stream opened").isNotNull();

            send("flood-1", encode(FLOOD), "it-flood", Source.DRONE, null);
            send("noise-1", randomUnit(new Random(1)), "it-flood", Source.DRONE, null);
            SseClient.Event alert = alice.next("alert", AWAIT);
            assertThat(alert).as("alert on alice's stream").isNotNull();
            assertThat(alert.data()).as("alert data").contains("\"chipId\":\"flood-1\"")
                    .contains("\"subscriptionId\":\"" + floodSubscription + "\"")
                    .contains("\"thumbnailUrl\":\"/v1/chips/flood-1/thumbnail\"").contains("\"ingestedAt\"");
            floodAlertEventId = alert.id();

            awaitMatcherCaughtUp();
            assertThat(alertsOnTopic(a -> a.getSubscriptionId().equals(floodSubscription)))
                    .as("exactly one alert on %s, none for the non-matching chip", Topics.ALERTS.name())
                    .extracting(Alert::getChipId).containsExactly("flood-1");

            // a later alert arrives next on the stream: nothing else came in between
            send("flood-2", encode(FLOOD), "it-flood", Source.DRONE, null);
            SseClient.Event next = alice.next("alert", AWAIT);
            assertThat(next).as("second chip's alert").isNotNull();
            assertThat(next.data()).as("the next alert on the stream is the second chip's").contains("\"chipId\":\"flood-2\"");

            // bob's own alert is the first his stream shows: alice's never reached it
            String bobs = create(BOB, "{\"text\": \"a harbour with boats\", \"threshold\": 0.95, \"filters\":"
                    + " {\"platforms\": [\"it-bob\"]}}").statusCode(201).extract().path("id");
            send("bob-1", encode("a harbour with boats"), "it-bob", Source.DRONE, null);
            SseClient.Event bobsFirst = bob.next("alert", AWAIT);
            assertThat(bobsFirst).as("bob's alert").isNotNull();
            assertThat(bobsFirst.data()).as("bob sees his own alert first, never alice's").contains(bobs)
                    .doesNotContain(floodSubscription);
        }
    }

    @Test
    @Order(3)
    void anotherClientCannotSeeChangeOrDeleteTheSubscription() {
        String path = "/v1/subscriptions/" + floodSubscription;
        expectProblem(given().header("Authorization", "Bearer " + BOB).get(path).then(), 404, "SUBSCRIPTION_NOT_FOUND");
        expectProblem(given().header("Authorization", "Bearer " + BOB).contentType(ContentType.JSON)
                .body("{\"text\": \"mine now\", \"threshold\": 0.1}").put(path).then(), 404, "SUBSCRIPTION_NOT_FOUND");
        expectProblem(given().header("Authorization", "Bearer " + BOB).delete(path).then(), 404, "SUBSCRIPTION_NOT_FOUND");
        given().header("Authorization", "Bearer " + BOB).get("/v1/subscriptions").then().statusCode(200)
                .body("id", not(hasItem(floodSubscription)));
        expectProblem(given().header("Authorization", "Bearer " + BOB).get("/v1/subscriptions?all=true").then(), 403,
                "FORBIDDEN");
        given().header("Authorization", "Bearer " + OPS).get("/v1/subscriptions?all=true").then().statusCode(200)
                .body("id", hasItem(floodSubscription));
        given().header("Authorization", "Bearer " + ALICE).get(path).then().statusCode(200)
                .body("text", equalTo(FLOOD)).body("filters.platforms", equalTo(List.of("it-flood")));
        given().header("Authorization", "Bearer " + ALICE).get("/v1/subscriptions").then().statusCode(200)
                .body("id", hasItem(floodSubscription));
    }

    @Test
    @Order(4)
    void sourceAndBboxFiltersHold() throws Exception {
        String text = "a parking lot full of cars";
        String id = create(ALICE, "{\"text\": \"" + text + "\", \"threshold\": 0.95, \"filters\": {\"platforms\":"
                + " [\"it-filter\"], \"sources\": [\"SATELLITE\"], \"bbox\": [8.4, 47.3, 8.7, 47.5]}}").statusCode(201)
                .extract().path("id");
        float[] v = encode(text);
        send("filter-drone", v, "it-filter", Source.DRONE, new GeoBounds(8.5, 47.35, 8.52, 47.37));
        send("filter-outside", v, "it-filter", Source.SATELLITE, new GeoBounds(13.3, 52.4, 13.4, 52.5));
        send("filter-no-bounds", v, "it-filter", Source.SATELLITE, null);
        send("filter-other-platform", v, "it-elsewhere", Source.SATELLITE, new GeoBounds(8.5, 47.35, 8.52, 47.37));
        send("filter-inside", v, "it-filter", Source.SATELLITE, new GeoBounds(8.5, 47.35, 8.52, 47.37));
        awaitMatcherCaughtUp();
        assertThat(alertsOnTopic(a -> a.getSubscriptionId().equals(id))).as("only the satellite chip inside the box")
                .extracting(Alert::getChipId).containsExactly("filter-inside");
    }

    @Test
    @Order(5)
    void aReplayAReUploadAndARestartFromEmptyLocalStateRaiseNoDuplicate() throws Exception {
        send("flood-1", encode(FLOOD), "it-flood", Source.DRONE, null); // replayed record / re-upload: same chip id
        awaitMatcherCaughtUp();

        // restart with the local state gone and the group's offsets deleted: the whole topic is matched again
        matcher.stop();
        Path local = Path.of(stateDir, alertsConfig.applicationId());
        if (Files.exists(local)) {
            try (var files = Files.walk(local)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        Set<TopicPartition> partitions = admin.listConsumerGroupOffsets(alertsConfig.applicationId())
                .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).keySet().stream()
                .filter(p -> p.topic().equals(embeddings.name())).collect(Collectors.toSet());
        assertThat(partitions).as("the matcher had committed offsets on %s", embeddings.name()).isNotEmpty();
        admin.deleteConsumerGroupOffsets(alertsConfig.applicationId(), partitions).all().get(30, TimeUnit.SECONDS);
        matcher.start();

        awaitMatcherCaughtUp();
        assertThat(alertsOnTopic(a -> a.getSubscriptionId().equals(floodSubscription)))
                .as("still one alert per chip after a replay of the whole topic and a restart from empty local state")
                .extracting(Alert::getChipId).containsExactlyInAnyOrder("flood-1", "flood-2");
    }

    @Test
    @Order(6)
    void aWebhookReceiverGetsTheAlertWithAValidSignature() throws Exception {
        List<Map<String, String>> received = new CopyOnWriteArrayList<>();
        HttpServer server = receiver(200, received, new AtomicInteger());
        try {
            String text = "a small lake surrounded by forest";
            var created = create(ALICE, "{\"text\": \"" + text + "\", \"threshold\": 0.95, \"filters\": {\"platforms\":"
                    + " [\"it-hook\"]}, \"webhookUrl\": \"http://127.0.0.1:" + server.getAddress().getPort() + "/hook\"}")
                    .statusCode(201).extract();
            String id = created.path("id");
            String secret = created.path("webhookSecret");
            assertThat(secret).as("the signing secret is shown at creation").isNotBlank();
            given().header("Authorization", "Bearer " + ALICE).get("/v1/subscriptions/" + id).then().statusCode(200)
                    .body("webhookSecret", org.hamcrest.Matchers.nullValue());

            send("hook-1", encode(text), "it-hook", Source.DRONE, null);
            awaitCondition(() -> !received.isEmpty(), "webhook delivery");
            Map<String, String> delivery = received.get(0);
            assertThat(delivery.get("body")).as("body").contains("\"chipId\":\"hook-1\"").contains(id);
            assertThat(delivery.get("x-pirstream-delivery")).as("delivery id").isEqualTo(id + ":hook-1");
            String expected = WebhookSigner.sign(secret, Long.parseLong(delivery.get("x-pirstream-timestamp")),
                    delivery.get("body").getBytes(StandardCharsets.UTF_8));
            assertThat(delivery.get("x-pirstream-signature")).as("HMAC-SHA256 signature over timestamp and body")
                    .isEqualTo(expected);
        } finally {
            server.stop(0);
        }
    }

    @Test
    @Order(7)
    void aFailingReceiverGetsEveryTryThenTheAlertIsDeadLettered() throws Exception {
        AtomicInteger tries = new AtomicInteger();
        HttpServer server = receiver(500, new CopyOnWriteArrayList<>(), tries);
        try {
            String text = "a desert with sand dunes";
            String id = create(ALICE, "{\"text\": \"" + text + "\", \"threshold\": 0.95, \"filters\": {\"platforms\":"
                    + " [\"it-failing\"]}, \"webhookUrl\": \"http://127.0.0.1:" + server.getAddress().getPort() + "/hook\"}")
                    .statusCode(201).extract().path("id");
            send("failing-1", encode(text), "it-failing", Source.DRONE, null);
            DeadLetter letter = awaitDeadLetter(l -> l.getErrorMessage().contains(id));
            assertThat(letter.getProcessor()).as("processor").isEqualTo("pirstream-webhooks");
            assertThat(letter.getSourceTopic()).as("source").isEqualTo(Topics.ALERTS.name());
            assertThat(letter.getErrorMessage()).as("cause").contains("failed " + alertsConfig.webhook().attempts() + " tries")
                    .contains("HTTP 500");
            assertThat(tries.get()).as("every try reached the receiver").isEqualTo(alertsConfig.webhook().attempts());
        } finally {
            server.stop(0);
        }
    }

    @Test
    @Order(8)
    void theStreamResumesAfterTheLastEventItsClientSaw() throws Exception {
        // alerts of one subscription share a partition, so their order is fixed; other partitions interleave freely
        try (SseClient resumed = stream(ALICE, readyBeforeFlood)) {
            assertThat(chipsUntil(resumed, "flood-2")).as("resumed from before the first alert: both, in order")
                    .containsSubsequence("flood-1", "flood-2");
        }
        try (SseClient resumed = stream(ALICE, floodAlertEventId)) {
            assertThat(chipsUntil(resumed, "flood-2")).as("resumed after the first alert: not the first one again")
                    .contains("flood-2").doesNotContain("flood-1");
        }
    }

    /** Chip ids of the stream's alerts up to and including {@code last}. */
    static List<String> chipsUntil(SseClient stream, String last) throws Exception {
        List<String> chips = new ArrayList<>();
        while (!chips.contains(last)) {
            SseClient.Event event = stream.next("alert", AWAIT);
            assertThat(event).as("alert for %s on the resumed stream (so far %s)", last, chips).isNotNull();
            Matcher chip = Pattern.compile("\"chipId\":\"([^\"]+)\"").matcher(event.data());
            assertThat(chip.find()).as("chip id in %s", event.data()).isTrue();
            chips.add(chip.group(1));
        }
        return chips;
    }

    @Test
    @Order(9)
    void feedbackIsRecordedOncePerUserQueryAndChip() throws Exception {
        awaitCondition(() -> given().header("Authorization", "Bearer " + ALICE).get("/v1/chips/flood-1").statusCode() == 200,
                "flood-1 searchable");
        String body = "{\"queryText\": \"A flooded  road\", \"chipId\": \"flood-1\", \"relevant\": true}";
        String id = feedback(ALICE, body).statusCode(201).body("duplicate", equalTo(false)).extract().path("feedbackId");
        feedback(ALICE, "{\"queryText\": \"a flooded road \", \"chipId\": \"flood-1\", \"relevant\": true}").statusCode(200)
                .body("duplicate", equalTo(true)).body("feedbackId", equalTo(id));
        expectProblem(feedback(ALICE, "{\"queryText\": \"a flooded road\", \"chipId\": \"flood-1\", \"relevant\": false}"),
                409, "FEEDBACK_CONFLICT");
        feedback(BOB, body).statusCode(201); // another user's judgement is its own
        expectProblem(feedback(ALICE, "{\"queryText\": \"x\", \"chipId\": \"no-such-chip\", \"relevant\": true}"), 404,
                "CHIP_NOT_FOUND");
        expectProblem(feedback(ALICE, "{\"queryText\": \"x\", \"chipId\": \"flood-1\"}"), 400, "INVALID_RELEVANT");

        List<Feedback> records = readToEnd(Topics.FEEDBACK.name(), bytes -> Topics.FEEDBACK.valueSerde().deserializer()
                .deserialize(Topics.FEEDBACK.name(), bytes));
        assertThat(records).as("alice's judgement recorded once, with who and when").filteredOn(f -> f.getFeedbackId().equals(id))
                .singleElement().satisfies(f -> {
                    assertThat(f.getUser()).as("user").isEqualTo("default");
                    assertThat(f.getRelevant()).as("relevant").isTrue();
                    assertThat(f.getChipId()).as("chip").isEqualTo("flood-1");
                    assertThat(f.getAt()).as("when").isNotNull();
                });
    }

    @Test
    @Order(10)
    void aDeletedSubscriptionRaisesNoMoreAlerts() throws Exception {
        given().header("Authorization", "Bearer " + ALICE).delete("/v1/subscriptions/" + floodSubscription).then()
                .statusCode(204);
        expectProblem(given().header("Authorization", "Bearer " + ALICE).get("/v1/subscriptions/" + floodSubscription)
                .then(), 404, "SUBSCRIPTION_NOT_FOUND");
        send("flood-3", encode(FLOOD), "it-flood", Source.DRONE, null);
        awaitMatcherCaughtUp();
        assertThat(alertsOnTopic(a -> a.getSubscriptionId().equals(floodSubscription))).as("no alert after deletion")
                .extracting(Alert::getChipId).doesNotContain("flood-3");
    }

    // --- helpers

    ValidatableResponse create(String key, String body) {
        return given().header("Authorization", "Bearer " + key).contentType(ContentType.JSON).body(body)
                .post("/v1/subscriptions").then();
    }

    ValidatableResponse feedback(String key, String body) {
        return given().header("Authorization", "Bearer " + key).contentType(ContentType.JSON).body(body)
                .post("/v1/feedback").then();
    }

    SseClient stream(String key, String lastEventId) throws Exception {
        SseClient client = new SseClient(base.toString().replaceAll("/$", "") + "/v1/alerts/stream", key, lastEventId);
        assertThat(client.status()).as("stream status").isEqualTo(200);
        return client;
    }

    static float[] encode(String text) {
        return model.embedTexts(List.of(text))[0];
    }

    static void send(String id, float[] vector, String platform, Source source, GeoBounds geo) throws Exception {
        List<Float> values = new ArrayList<>();
        for (float v : vector) {
            values.add(v);
        }
        Embedding embedding = Embedding.newBuilder().setChipId(id).setModelVersion(model.version()).setVector(values)
                .setSceneProbabilities(List.of(0.5f, 0.5f)).setTopScene("river").setSceneId("scene-" + id)
                .setWindow(new PixelWindow(0, 0, 256, 256)).setSource(source).setPlatform(platform)
                .setCapturedAt(Instant.parse("2026-11-20T10:00:00Z")).setEmbeddedAt(Instant.now())
                .setIngestedAt(Instant.now()).setGeo(geo)
                .setThumbnail(ByteBuffer.wrap(TestImagery.jpeg(32, 32, id.hashCode()))).build();
        producer.send(new ProducerRecord<>(embeddings.name(), id, embedding)).get(30, TimeUnit.SECONDS);
        SENT.add(id);
    }

    /**
     * Waits until everything sent is matched and its alerts are committed: the matcher's committed offsets reach the
     * end of the embeddings topic (each embedding is buffered), its buffers are empty (each is matched), and the
     * alerts topic's last stable offset reaches its log end as it was then (the transaction with those alerts ended).
     */
    void awaitMatcherCaughtUp() throws Exception {
        Map<TopicPartition, Long> ends = endOffsets(embeddings.name(), IsolationLevel.READ_UNCOMMITTED);
        awaitCondition(() -> {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(alertsConfig.applicationId())
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            return ends.entrySet().stream().allMatch(end -> end.getValue() == 0 || (committed.get(end.getKey()) != null
                    && committed.get(end.getKey()).offset() >= end.getValue()));
        }, "the matcher to commit every embedding");
        awaitCondition(() -> matcher.unmatched().orElse(-1) == 0, "the matcher to match every buffered embedding");
        Map<TopicPartition, Long> produced = endOffsets(Topics.ALERTS.name(), IsolationLevel.READ_UNCOMMITTED);
        awaitCondition(() -> endOffsets(Topics.ALERTS.name(), IsolationLevel.READ_COMMITTED).entrySet().stream()
                .allMatch(stable -> stable.getValue() >= produced.get(stable.getKey())), "the alerts' transaction to end");
    }

    static Map<TopicPartition, Long> endOffsets(String topic, IsolationLevel isolation) throws Exception {
        List<TopicPartition> partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS)
                .get(topic).partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList();
        Map<TopicPartition, Long> ends = new java.util.HashMap<>();
        admin.listOffsets(partitions.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest())),
                new org.apache.kafka.clients.admin.ListOffsetsOptions(isolation)).all().get(30, TimeUnit.SECONDS)
                .forEach((p, info) -> ends.put(p, info.offset()));
        return ends;
    }

    static List<Alert> alertsOnTopic(Predicate<Alert> wanted) throws Exception {
        return readToEnd(Topics.ALERTS.name(), bytes -> Topics.ALERTS.valueSerde().deserializer()
                .deserialize(Topics.ALERTS.name(), bytes)).stream().filter(wanted).toList();
    }

    /** Every committed record of the topic, read up to its last stable offset. */
    static <T> List<T> readToEnd(String topic, java.util.function.Function<byte[], T> decode) {
        List<T> values = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, EmbeddedKafkaResource.broker().bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new org.apache.kafka.common.serialization.StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions); // the last stable offsets
            long deadline = System.nanoTime() + AWAIT.toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                assertThat(System.nanoTime()).as("read %s to its end in time", topic).isLessThan(deadline);
                consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(decode.apply(r.value())));
            }
        }
        return values;
    }

    static DeadLetter awaitDeadLetter(Predicate<DeadLetter> wanted) throws Exception {
        try (KafkaConsumer<byte[], DeadLetter> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, EmbeddedKafkaResource.broker().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "dlq-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                Topics.DLQ.keySerde().deserializer(), Topics.DLQ.valueSerde().deserializer())) {
            consumer.subscribe(List.of(Topics.DLQ.name()));
            long deadline = System.nanoTime() + AWAIT.toNanos();
            while (System.nanoTime() < deadline) {
                for (var record : consumer.poll(Duration.ofMillis(200))) {
                    if (wanted.test(record.value())) {
                        return record.value();
                    }
                }
            }
        }
        throw new AssertionError("no matching dead letter within " + AWAIT);
    }

    /** A local webhook receiver answering {@code status}; records headers and body of every request. */
    static HttpServer receiver(int status, List<Map<String, String>> received, AtomicInteger tries) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/hook", exchange -> {
            Map<String, String> request = new java.util.HashMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> request.put(name.toLowerCase(), values.get(0)));
            request.put("body", new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            received.add(request);
            tries.incrementAndGet();
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
        return server;
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    static void awaitCondition(Condition condition, String what) throws Exception {
        long deadline = System.nanoTime() + AWAIT.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    static float[] randomUnit(Random random) {
        return QueryServiceIT.randomUnit(random, model.dimension());
    }

    static ValidatableResponse expectProblem(ValidatableResponse response, int status, String reason) {
        return response.statusCode(status).contentType("application/problem+json").body("reason", equalTo(reason));
    }
}
