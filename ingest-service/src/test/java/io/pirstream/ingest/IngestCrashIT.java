package io.pirstream.ingest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.schemas.Topics;
import io.pirstream.testkit.EmbeddedKafkaBroker;
import io.pirstream.testkit.EmbeddedKafkaExtension;
import io.pirstream.testkit.imagery.TestImagery;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Kills the ingest service with SIGKILL while a scene's transaction is open and restarts it on the same host and
 * port: by the time the restarted instance is ready it has aborted the crashed transaction (same transactional ids),
 * so read_committed readers are held back until the restart, not until the broker times the transaction out. The
 * transaction timeout is set far beyond the test's waits, so only fencing can explain what the test sees. The service
 * runs as its own JVM from the runnable jar, as in production; the figures it prints are in RELIABILITY.md.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class IngestCrashIT {

    private static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar");
    private static final String KEY = "crash-test-ingest-key-0123456789";
    /** Far beyond every wait below: only fencing, not the broker's timeout, can end the crashed transaction. */
    private static final Duration TRANSACTION_TIMEOUT = Duration.ofMinutes(10);
    /** How long the frame may take to be readable after the restart; a fifth of the transaction timeout. */
    private static final Duration FRAME_WAIT = Duration.ofMinutes(2);

    @Test
    void aRestartAbortsTheCrashedTransactionLongBeforeItTimesOut(EmbeddedKafkaBroker broker) throws Exception {
        Path logs = Path.of("target/ingest-crash-logs");
        broker.ensureTopics(List.of(Topics.CHIPS));
        int port = freePort();
        ProcessBuilder command = command(broker, port, logs);
        byte[] scene = TestImagery.png(3000, 3000, 11); // noise: ~2,800 chips of 56 px, a transaction open for a while
        byte[] frame = TestImagery.png(200, 200, 12);

        Set<String> sceneChips;
        long killedAt;
        Process first = start(command, logs.resolve("first.log"));
        try (Admin admin = broker.admin()) {
            awaitReady(first, port, logs);
            // 1. post the scene and kill the service as soon as its transaction holds records on the topic
            CompletableFuture<Void> upload = CompletableFuture.runAsync(() -> post(port, "/v1/scenes", scene, "56"));
            boolean open = false;
            while (!open && !upload.isDone()) {
                open = openTransaction(admin);
            }
            first.destroyForcibly().waitFor(); // SIGKILL
            killedAt = System.nanoTime();
            assertThat(open).as("the scene's transaction was open when the service was killed (log: " + logs + ")")
                    .isTrue();
            assertThat(openTransaction(admin)).as("the killed service left its transaction open").isTrue();
            sceneChips = uncommittedKeys(broker);
        }

        // 2. restart under the same host and port (same instance id) and post a frame
        Process second = start(command, logs.resolve("second.log"));
        try {
            awaitReady(second, port, logs);
            long readyAt = System.nanoTime();
            try (Admin admin = broker.admin()) {
                assertThat(openTransaction(admin)).as("ready only once the crashed run's transaction is aborted"
                        + " (log: " + logs + ")").isFalse();
            }
            List<String> frameChips = post(port, "/v1/frames", frame, null);
            // 3. a read_committed reader sees the frame: the crashed transaction no longer holds the partitions back
            Set<String> committed = readCommittedUntil(broker, frameChips, FRAME_WAIT);
            long visibleAt = System.nanoTime();
            Duration sinceKill = Duration.ofNanos(visibleAt - killedAt);
            System.out.printf("IngestCrashIT: frame readable %d ms after the kill, %d ms after the restarted service"
                    + " was ready (transaction timeout %s)%n", sinceKill.toMillis(),
                    Duration.ofNanos(visibleAt - readyAt).toMillis(), TRANSACTION_TIMEOUT);
            assertThat(committed).as("the frame is readable long before the crashed transaction could have timed out"
                    + " (log: " + logs + ")").containsAll(frameChips);
            assertThat(committed).as("no chip of the crashed scene is committed").doesNotContainAnyElementsOf(sceneChips);
        } finally {
            second.destroy();
            second.waitFor();
        }
    }

    /** Whether any partition of the chips topic has records past its last stable offset. */
    private static boolean openTransaction(Admin admin) throws Exception {
        Map<TopicPartition, OffsetSpec> request = new java.util.HashMap<>();
        for (int p = 0; p < Topics.CHIPS.partitions(); p++) {
            request.put(new TopicPartition(Topics.CHIPS.name(), p), OffsetSpec.latest());
        }
        var latest = admin.listOffsets(request).all().get();
        var stable = admin.listOffsets(request, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get();
        return latest.keySet().stream().anyMatch(tp -> latest.get(tp).offset() > stable.get(tp).offset());
    }

    private static Set<String> uncommittedKeys(EmbeddedKafkaBroker broker) {
        try (KafkaConsumer<String, byte[]> consumer = consumer(broker, "read_uncommitted")) {
            List<TopicPartition> partitions = partitions();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            Set<String> keys = new HashSet<>();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> keys.add(r.key()));
            }
            return keys;
        }
    }

    /** Reads the topic read_committed from the beginning until every wanted key is seen or the timeout passes. */
    private static Set<String> readCommittedUntil(EmbeddedKafkaBroker broker, List<String> wanted, Duration timeout) {
        try (KafkaConsumer<String, byte[]> consumer = consumer(broker, "read_committed")) {
            List<TopicPartition> partitions = partitions();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Set<String> keys = new HashSet<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!keys.containsAll(wanted) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(100)).forEach(r -> keys.add(r.key()));
            }
            return keys;
        }
    }

    private static KafkaConsumer<String, byte[]> consumer(EmbeddedKafkaBroker broker, String isolation) {
        return new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation,
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MAX_MESSAGE_BYTES),
                new StringDeserializer(), new ByteArrayDeserializer());
    }

    private static List<TopicPartition> partitions() {
        List<TopicPartition> partitions = new ArrayList<>();
        for (int p = 0; p < Topics.CHIPS.partitions(); p++) {
            partitions.add(new TopicPartition(Topics.CHIPS.name(), p));
        }
        return partitions;
    }

    /** Posts an upload and returns its chip ids; fails on any status but 200. */
    private static List<String> post(int port, String path, byte[] image, String chipSize) {
        var request = given().baseUri("http://localhost").port(port).header("Authorization", "Bearer " + KEY)
                .multiPart("image", "upload.png", image).multiPart("platform", "crash-test")
                .multiPart("capturedAt", "2026-11-26T10:00:00Z");
        if (chipSize != null) {
            request.multiPart("chipSize", chipSize);
        }
        return request.post(path).then().statusCode(200).extract().jsonPath().getList("chips.chipId", String.class);
    }

    private static ProcessBuilder command(EmbeddedKafkaBroker broker, int port, Path logs) {
        assertThat(JAR).as("runnable jar built by the package phase").exists();
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-Dquarkus.http.port=" + port, "-jar", JAR.toString()).redirectErrorStream(true);
        builder.environment().putAll(Map.of("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                "PIRSTREAM_INGEST_KEY", KEY,
                "PIRSTREAM_KAFKA_TRANSACTION_TIMEOUT", TRANSACTION_TIMEOUT.toSeconds() + "s"));
        return builder;
    }

    private static Process start(ProcessBuilder command, Path log) throws IOException {
        Files.createDirectories(log.getParent());
        return command.redirectOutput(log.toFile()).start();
    }

    private static void awaitReady(Process process, int port, Path logs) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/q/health/ready"))
                .timeout(Duration.ofSeconds(5)).build();
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(process.isAlive()).as("ingest-service running (log: " + logs + ")").isTrue();
            try {
                if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("ingest-service not ready within 2 minutes; log: " + logs);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
