package io.pirstream.query;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.model.CheckpointStore;
import io.pirstream.model.PirModel;
import io.pirstream.model.UntrainedCheckpoints;
import io.pirstream.schemas.ModelReleases;
import io.pirstream.schemas.TopicAccess;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Embedding;
import io.pirstream.schemas.avro.ModelRelease;
import io.pirstream.schemas.avro.ReleaseStatus;
import io.pirstream.schemas.avro.PixelWindow;
import io.pirstream.schemas.avro.Source;
import io.pirstream.testkit.imagery.TestImagery;
import io.pirstream.testkit.quarkus.EmbeddedKafkaResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * Promotion, flip and rollback as a client sees them: a second model version's index is built beside the serving one
 * while a client searches throughout; searches flip to it once, only after its index holds every chip, never fail,
 * and each names exactly one version; standing queries are re-encoded; a rollback flips back the same way; a retired
 * version's index is dropped. The embedder's part is played by the test (it writes the new version's embeddings).
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedKafkaResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = TinyModelResource.class, restrictToAnnotatedClass = false)
class ModelRolloutIT {

    private static final String ANALYST = QueryServiceIT.ANALYST;
    private static final int CHIPS = 20;

    /** One search as the client saw it. */
    record Observed(Instant at, int status, String version) {
    }

    @Test
    void promotionFlipsOnceWhenTheNewIndexHasCaughtUpAndRollbackFlipsBack() throws Exception {
        Path root = Files.createTempDirectory("pirstream-releases-");
        UntrainedCheckpoints.writeTiny(root.resolve("candidate"));
        CheckpointStore store = new CheckpointStore(root.resolve("store"));
        CheckpointStore.Stored candidate = store.store(root.resolve("candidate"));
        Map<String, Object> kafka = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                EmbeddedKafkaResource.broker().bootstrapServers());
        try (PirModel before = PirModel.load(TinyModelResource.checkpoint);
                PirModel after = CheckpointStore.open(candidate.uri(), candidate.sha256(), io.pirstream.model.DeviceChoice.CPU);
                KafkaProducer<String, Embedding> producer = new KafkaProducer<>(kafka,
                        Topics.embeddings(before.version()).keySerde().serializer(),
                        Topics.embeddings(before.version()).valueSerde().serializer())) {
            Random random = new Random(3);
            for (int i = 0; i < CHIPS; i++) {
                send(producer, before, "rollout-" + i, QueryServiceIT.randomUnit(random, before.dimension()));
            }
            producer.flush();
            await("the serving index holds the first version's chips", () -> chipVisible("rollout-" + (CHIPS - 1)));
            String subscription = given().header("Authorization", "Bearer " + ANALYST).contentType(ContentType.JSON)
                    .body("{\"text\": \"a dense green forest\", \"threshold\": 0.99}").post("/v1/subscriptions").then()
                    .statusCode(201).extract().path("id");

            List<Observed> observed = Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean searching = new AtomicBoolean(true);
            Thread client = new Thread(() -> {
                while (searching.get()) {
                    Response response = given().header("Authorization", "Bearer " + ANALYST).contentType(ContentType.JSON)
                            .body("{\"text\": \"a harbour with boats\", \"k\": 5}").post("/v1/search");
                    observed.add(new Observed(Instant.now(), response.statusCode(),
                            response.statusCode() == 200 ? response.jsonPath().getString("modelVersion") : response.asString()));
                }
            }, "searching-client");
            client.start();

            // the running model becomes the genesis release; the candidate is promoted
            CheckpointStore.Stored running = new CheckpointStore.Stored(before.version(),
                    TinyModelResource.checkpoint.toUri(), CheckpointStore.sha256(TinyModelResource.checkpoint.toUri()),
                    before.sceneClasses());
            Instant t0 = Instant.now();
            ModelRelease genesis = ModelReleases.genesis(running.version(), running.uri().toString(), running.sha256(),
                    running.sceneClasses(), t0);
            ModelRelease next = ModelReleases.copy(genesis).setVersion(candidate.version())
                    .setCheckpointUri(candidate.uri().toString()).setSha256(candidate.sha256())
                    .setParentVersion(running.version()).setStatus(ReleaseStatus.CANDIDATE).build();
            publish(kafka, List.of(genesis, next));
            ModelReleases.Snapshot releases = ModelReleases.read(consumerConfig(), Duration.ofSeconds(30));
            publish(kafka, ModelReleases.promote(releases, candidate.version(), Instant.now()));

            await("the new version is indexed beside the serving one", () -> models().getList("indexes").size() == 2);
            Thread.sleep(1_500); // longer than flip-settle: with an empty new index, nothing may flip yet
            assertThat(models().getString("serving")).as("serving before the new index has its chips")
                    .isEqualTo(before.version());

            Instant lastNewEmbedding = null;
            try (KafkaProducer<String, Embedding> embedder = new KafkaProducer<>(kafka,
                    Topics.embeddings(after.version()).keySerde().serializer(),
                    Topics.embeddings(after.version()).valueSerde().serializer())) {
                for (int i = 0; i < CHIPS; i++) {
                    send(embedder, after, "rollout-" + i, QueryServiceIT.randomUnit(random, after.dimension()));
                    embedder.flush();
                    lastNewEmbedding = Instant.now();
                    Thread.sleep(20);
                }
            }
            await("searches flip to the promoted version", () -> after.version().equals(models().getString("serving")));
            // (the subscription API answers 503 while the matcher restarts on the new version)
            await("the standing query is re-encoded with the promoted model", () -> {
                Response response = given().header("Authorization", "Bearer " + ANALYST).get("/v1/subscriptions/" + subscription);
                return response.statusCode() == 200 && after.version().equals(response.path("modelVersion"));
            });

            publish(kafka, ModelReleases.rollback(ModelReleases.read(consumerConfig(), Duration.ofSeconds(30)), Instant.now()));
            await("a rollback flips back to the previous version", () -> before.version().equals(models().getString("serving")));
            Thread.sleep(300);
            searching.set(false);
            client.join();

            assertThat(observed).as("every search during promotion and rollback answered").allSatisfy(o ->
                    assertThat(o.status()).as("status of the search at %s: %s", o.at(), o.version()).isEqualTo(200));
            List<String> runs = new ArrayList<>();
            for (Observed o : observed) {
                if (runs.isEmpty() || !runs.get(runs.size() - 1).equals(o.version())) {
                    runs.add(o.version());
                }
            }
            assertThat(runs).as("the answering version, in order (it changes once per flip)")
                    .containsExactly(before.version(), after.version(), before.version());
            Instant firstNew = observed.stream().filter(o -> after.version().equals(o.version())).findFirst()
                    .orElseThrow().at();
            assertThat(firstNew).as("the first answer by the new version came after its index had every chip")
                    .isAfter(lastNewEmbedding);

            // retiring the candidate drops its index; the previous version serves on
            publish(kafka, ModelReleases.retire(ModelReleases.read(consumerConfig(), Duration.ofSeconds(30)),
                    candidate.version(), Instant.now()));
            await("the retired version's index is dropped", () -> models().getList("indexes").size() == 1);
            assertThat(models().getString("serving")).isEqualTo(before.version());
        }
    }

    private static void send(KafkaProducer<String, Embedding> producer, PirModel model, String chip, float[] vector) {
        List<Float> values = new ArrayList<>();
        for (float v : vector) {
            values.add(v);
        }
        Embedding embedding = Embedding.newBuilder().setChipId(chip).setModelVersion(model.version()).setVector(values)
                .setSceneProbabilities(List.of(0.2f, 0.3f, 0.5f)).setTopScene("urban").setSceneId("scene-rollout")
                .setWindow(new PixelWindow(0, 0, 256, 256)).setSource(Source.DRONE).setPlatform("uav-rollout")
                .setCapturedAt(Instant.parse("2026-11-20T10:00:00Z")).setEmbeddedAt(Instant.now()).setGeo(null)
                .setThumbnail(ByteBuffer.wrap(TestImagery.jpeg(48, 48, chip.hashCode()))).setIngestedAt(Instant.now())
                .build();
        producer.send(new ProducerRecord<>(Topics.embeddings(model.version()).name(), chip, embedding));
    }

    private static void publish(Map<String, Object> kafka, List<ModelRelease> records) {
        ModelReleases.publish(kafka, TopicAccess.RELEASES_TRANSACTIONAL_ID_PREFIX + "it-", records);
    }

    private static Map<String, Object> consumerConfig() {
        return Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, EmbeddedKafkaResource.broker().bootstrapServers());
    }

    private static JsonPath models() {
        return given().header("Authorization", "Bearer " + ANALYST).get("/v1/models").then().statusCode(200).extract()
                .jsonPath();
    }

    private static boolean chipVisible(String chip) {
        return given().header("Authorization", "Bearer " + ANALYST).get("/v1/chips/" + chip).statusCode() == 200;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what + "; models: " + models().prettify());
            }
            Thread.sleep(50);
        }
    }
}
