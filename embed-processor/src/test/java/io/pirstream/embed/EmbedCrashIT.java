package io.pirstream.embed;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.model.PirModel;
import io.pirstream.schemas.Topic;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.Embedding;
import io.pirstream.testkit.EmbeddedKafkaBroker;
import io.pirstream.testkit.EmbeddedKafkaExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills the processor with SIGKILL in the middle of a stream and restarts it: every chip must end up with exactly
 * one committed embedding. The processor runs as a separate JVM from its runnable jar, as in production.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class EmbedCrashIT {

    private static final int CHIPS = 300;
    private static final Path JAR = Path.of("target/embed-processor.jar");

    @Test
    void sigkillMidStreamLosesAndDuplicatesNothing(EmbeddedKafkaBroker broker, @TempDir Path modelDir,
                                                   @TempDir Path stateDir, @TempDir Path logs) throws Exception {
        String version;
        try (PirModel model = TestModels.tiny(modelDir)) {
            version = model.version();
        }
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        Topic<String, Chip> chips = Topics.CHIPS.withName("pir.chips.crash-" + suffix);
        Topic<String, Embedding> embeddings = Topics.embeddings(version);
        broker.ensureTopics(List.of(chips, embeddings, Topics.DLQ));
        List<String> command = command(broker, chips, modelDir, stateDir, "embed-crash-" + suffix);

        Map<String, Integer> seen = new HashMap<>();
        AtomicInteger sent = new AtomicInteger();
        CountDownLatch killed = new CountDownLatch(1);
        Thread producer = new Thread(() -> produce(broker, chips, sent, killed), "chip-producer");
        producer.setDaemon(true); // never outlives a failed test waiting for the kill
        Process first = start(command, logs.resolve("first.log"));
        try (KafkaConsumer<String, Embedding> consumer = consumer(broker, embeddings)) {
            producer.start();
            // 1. let it embed part of the first half of the stream, then kill it without warning; the second half
            // arrives while it is down (held back until then, so even a fast machine is killed mid-stream)
            poll(consumer, seen, () -> seen.size() >= CHIPS / 4, Duration.ofSeconds(120));
            first.destroyForcibly().waitFor();
            killed.countDown();
            int embeddedBeforeKill = seen.size();
            // at most the first half can have been embedded: the rest is held back until the kill
            assertThat(embeddedBeforeKill).as("killed mid-stream, after some chips were embedded (log: " + logs + ")")
                    .isBetween(1, CHIPS / 2);
            // 2. restart on the same state directory and application id
            Process second = start(command, logs.resolve("second.log"));
            try {
                producer.join();
                poll(consumer, seen, () -> seen.size() >= CHIPS, Duration.ofSeconds(180));
            } finally {
                second.destroy(); // a graceful stop closes its last transaction
                if (!second.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                    second.destroyForcibly().waitFor();
                }
            }
            // 3. read the rest of the output, to its end: a late duplicate would show here
            EmbeddedStreams.drainToEnd(consumer, r -> seen.merge(r.key(), 1, Integer::sum));
        }
        assertThat(sent.get()).as("chips produced").isEqualTo(CHIPS);
        assertThat(seen).as("every chip embedded (log: " + logs + ")").hasSize(CHIPS);
        assertThat(seen).as("exactly one committed embedding per chip").allSatisfy((chip, count) ->
                assertThat(count).as(chip).isOne());
    }

    private static void produce(EmbeddedKafkaBroker broker, Topic<String, Chip> chips, AtomicInteger sent,
                                CountDownLatch killed) {
        try (KafkaProducer<String, byte[]> producer = EmbeddedStreams.producer(broker)) {
            for (int i = 0; i < CHIPS; i++) {
                if (i == CHIPS / 2) {
                    producer.flush();
                    killed.await();
                }
                EmbeddedStreams.send(producer, chips, Chips.chip("crash-" + i, i));
                sent.incrementAndGet();
                if (i % 10 == 9) {
                    producer.flush();
                    Thread.sleep(50);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void poll(KafkaConsumer<String, Embedding> consumer, Map<String, Integer> seen,
                             java.util.function.BooleanSupplier done, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(200)).forEach(r -> seen.merge(r.key(), 1, Integer::sum));
        }
    }

    private static KafkaConsumer<String, Embedding> consumer(EmbeddedKafkaBroker broker, Topic<String, Embedding> topic) {
        KafkaConsumer<String, Embedding> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "crash-verify-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                topic.keySerde().deserializer(), topic.valueSerde().deserializer());
        consumer.subscribe(List.of(topic.name()));
        return consumer;
    }

    private static List<String> command(EmbeddedKafkaBroker broker, Topic<String, Chip> chips, Path modelDir,
                                        Path stateDir, String applicationId) throws IOException {
        assertThat(JAR).as("runnable jar built by the package phase").exists();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-Dai.djl.offline=true"));
        for (String cache : List.of("ENGINE_CACHE_DIR", "DJL_CACHE_DIR")) {
            if (System.getProperty(cache) != null) {
                command.add("-D" + cache + "=" + System.getProperty(cache));
            }
        }
        command.addAll(List.of("-jar", JAR.toString(), "--bootstrap-servers", broker.bootstrapServers(),
                "--application-id", applicationId, "--checkpoint", modelDir.toString(), "--chips-topic", chips.name(),
                "--state-dir", stateDir.toString(), "--http-port", "0", "--batch-size", "8",
                "--max-wait", "PT0.1S"));
        return command;
    }

    private static Process start(List<String> command, Path log) throws IOException {
        Files.createDirectories(log.getParent());
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }
}
