package io.pirstream.query;

import static io.pirstream.query.QueryServiceIT.expectProblem;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.DeadLetter;
import io.pirstream.testkit.quarkus.EmbeddedKafkaResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import jakarta.inject.Inject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Hostile search requests and embedding records: each refused with a reason a person can act on, none a 500. */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedKafkaResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = TinyModelResource.class, restrictToAnnotatedClass = false)
class QueryHostileInputIT {

    @Inject
    SearchEngine engine;

    @Inject
    QueryEncoder encoder;
    @Inject
    QueryConfig config;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "platforms [null] (was a 500)   | {\"text\": \"x\", \"filters\": {\"platforms\": [null]}}       | INVALID_FILTER | platforms",
        "platforms [\"\"]               | {\"text\": \"x\", \"filters\": {\"platforms\": [\"\"]}}         | INVALID_FILTER | platforms",
        "sources [null]                 | {\"text\": \"x\", \"filters\": {\"sources\": [null]}}         | INVALID_FILTER | sources",
        "negative k                     | {\"text\": \"x\", \"k\": -5}                                  | INVALID_K      | 1..100",
        "huge k                         | {\"text\": \"x\", \"k\": 2147483647}                          | INVALID_K      | 1..100",
        "k beyond int                   | {\"text\": \"x\", \"k\": 99999999999999}                      | INVALID_JSON   | not valid JSON",
        "k as text                      | {\"text\": \"x\", \"k\": \"ten\"}                             | INVALID_JSON   | not valid JSON",
        "text not a string              | {\"text\": {\"a\": 1}}                                        | INVALID_JSON   | not valid JSON",
        "bbox longitude out of range    | {\"text\": \"x\", \"filters\": {\"bbox\": [-200, 0, 10, 10]}} | INVALID_BBOX   | -180..180",
        "bbox latitude out of range     | {\"text\": \"x\", \"filters\": {\"bbox\": [0, -91, 10, 10]}}  | INVALID_BBOX   | -90..90",
        "bbox with null                 | {\"text\": \"x\", \"filters\": {\"bbox\": [0, null, 10, 10]}} | INVALID_BBOX   | west",
        "minScore out of range          | {\"text\": \"x\", \"filters\": {\"minScore\": 7}}             | INVALID_FILTER | -1..1",
        "timestamp not ISO-8601         | {\"text\": \"x\", \"filters\": {\"from\": \"yesterday\"}}     | INVALID_JSON   | not valid JSON",
        "body an array                  | [1, 2, 3]                                                     | INVALID_JSON   | not valid JSON",
        "body JSON null                 | null                                                          | MISSING_BODY   | JSON body",
    })
    void hostileSearchesAreRefusedWithTheirReason(String name, String body, String reason, String message) {
        expectProblem(search(body), 400, reason).body("detail", containsString(message));
    }

    @Test
    void aHundredKilobyteTextIsRefusedUnencoded() {
        expectProblem(search("{\"text\": \"" + "lake ".repeat(20_000) + "\"}"), 400, "INVALID_TEXT")
                .body("detail", containsString("1..500 characters"));
    }

    @Test
    void aBodyThatIsNotUtf8IsRefused() {
        byte[] body = {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        expectProblem(given().header("Authorization", "Bearer " + QueryServiceIT.ANALYST).contentType(ContentType.JSON)
                .body(body).post("/v1/search").then(), 400, "INVALID_JSON").body("detail", containsString("UTF-8"));
    }

    @Test
    void aSearchFarInTheFutureIsAnEmptyAnswerNotAnError() {
        awaitReady();
        search("{\"text\": \"a lake\", \"filters\": {\"from\": \"+100000-01-01T00:00:00Z\"}}").statusCode(200)
                .body("count", org.hamcrest.Matchers.equalTo(0));
    }

    @Test
    void allEncodersBusyAnswers503WithRetryAfterAndTheReason() throws Exception {
        int count = config.maxConcurrentEncodings();
        List<Thread> holders = new ArrayList<>();
        java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(count);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        for (int i = 0; i < count; i++) {
            Thread holder = new Thread(() -> encoder.admitted((Supplier<Void>) () -> {
                held.countDown();
                await(release);
                return null;
            }));
            holder.start();
            holders.add(holder);
        }
        try {
            assertThat(held.await(30, java.util.concurrent.TimeUnit.SECONDS)).as("the test holds every place in the encoder").isTrue();
            // a text no search asked before: a remembered one would need no encoder
            expectProblem(search("{\"text\": \"a lake seen while every encoder is busy\"}"), 503, "ENCODER_BUSY")
                    .header("Retry-After", "1")
                    .body("detail", containsString("pirstream.query.max-concurrent-encodings"));
        } finally {
            release.countDown();
            for (Thread holder : holders) {
                holder.join(30_000);
            }
        }
        awaitReady();
        search("{\"text\": \"a lake\"}").statusCode(200);
    }

    @Test
    void malformedAndUnknownSchemaEmbeddingsGoToTheDeadLetterTopic() {
        String topic = Topics.embeddings(engine.modelVersion()).name();
        String marker = UUID.randomUUID().toString();
        byte[] unknownFingerprint = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN)
                .put((byte) 0xC3).put((byte) 0x01).putLong(0x0123456789ABCDEFL).putLong(42).array();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, EmbeddedKafkaResource.broker().bootstrapServers()),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, "garbage-" + marker, "not avro at all".getBytes()));
            producer.send(new ProducerRecord<>(topic, "alien-" + marker, unknownFingerprint));
            producer.send(new ProducerRecord<>(topic, "empty-" + marker, new byte[0]));
        }

        // two readers of the topic refuse each record: the index (its processor id is this instance's) and the
        // alert matcher; the index's letters are the ones checked here
        List<DeadLetter> letters = deadLettersWithKeysContaining(marker, 6).stream()
                .filter(l -> !"pirstream-alerts".equals(String.valueOf(l.getProcessor()))).toList();

        assertThat(letters).as("one dead letter per bad record from the index").hasSize(3);
        assertThat(letters).as("not Avro").anySatisfy(l -> assertThat(l.getErrorMessage()).contains("Not an Avro"));
        assertThat(letters).as("unknown writer schema named by its fingerprint").anySatisfy(l ->
                assertThat(l.getErrorMessage()).contains("Unknown schema fingerprint").contains("0123456789abcdef"));
        assertThat(letters).as("all from the index's topic").allSatisfy(l ->
                assertThat(l.getSourceTopic()).isEqualTo(topic));
        awaitReady();
        search("{\"text\": \"a lake\"}").statusCode(200); // the index goes on
    }

    private static List<DeadLetter> deadLettersWithKeysContaining(String marker, int expected) {
        List<DeadLetter> letters = new ArrayList<>();
        try (KafkaConsumer<byte[], DeadLetter> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, EmbeddedKafkaResource.broker().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "dlq-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                Topics.DLQ.keySerde().deserializer(), Topics.DLQ.valueSerde().deserializer())) {
            consumer.subscribe(List.of(Topics.DLQ.name()));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (letters.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (r.key() != null && new String(r.key(), java.nio.charset.StandardCharsets.UTF_8).contains(marker)) {
                        letters.add(r.value());
                    }
                });
            }
        }
        return letters;
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (engine.state() != org.apache.kafka.streams.KafkaStreams.State.RUNNING && System.nanoTime() < deadline) {
            sleep(100);
        }
        assertThat(engine.state()).as("index ready").isEqualTo(org.apache.kafka.streams.KafkaStreams.State.RUNNING);
    }

    private static ValidatableResponse search(String body) {
        return QueryServiceIT.search(body);
    }

    private static void await(java.util.concurrent.CountDownLatch latch) {
        try {
            latch.await(60, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
