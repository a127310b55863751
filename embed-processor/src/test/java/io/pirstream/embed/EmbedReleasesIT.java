package io.pirstream.embed;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.model.CheckpointStore;
import io.pirstream.model.PirModel;
import io.pirstream.model.UntrainedCheckpoints;
import io.pirstream.schemas.ModelReleases;
import io.pirstream.schemas.TopicAccess;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.ModelRelease;
import io.pirstream.schemas.avro.ReleaseStatus;
import io.pirstream.testkit.EmbeddedKafkaBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The processor (its runnable jar, as in production) following pir.models: the configured model while nothing is
 * released; after a promotion, an embedder for the new version replays every chip into its own topic while live
 * chips reach both versions; a retired version's embedder stops. Its own broker: releases are cluster-wide state.
 */
class EmbedReleasesIT {

    private static final Path JAR = Path.of("target/embed-processor.jar");

    @Test
    void promotionReplaysEveryChipIntoTheNewVersionAndRetirementStopsTheOld(@TempDir Path dir) throws Exception {
        Path base = dir.resolve("base");
        String baseVersion;
        try (PirModel model = TestModels.tiny(base)) {
            baseVersion = model.version();
        }
        UntrainedCheckpoints.writeTiny(dir.resolve("candidate"));
        CheckpointStore.Stored candidate = new CheckpointStore(dir.resolve("models")).store(dir.resolve("candidate"));
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build().start()) {
            broker.ensureTopics(List.of(Topics.CHIPS, Topics.MODELS, Topics.DLQ));
            Map<String, Object> kafka = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            Process processor = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx1g", "-Dai.djl.offline=true", "-jar", JAR.toString(), "--bootstrap-servers",
                    broker.bootstrapServers(), "--checkpoint", base.toString(), "--state-dir", dir.resolve("state").toString(),
                    "--http-port", "0", "--batch-size", "8", "--max-wait", "PT0.05S")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("processor.log").toFile()).start();
            try (KafkaProducer<String, byte[]> producer = EmbeddedStreams.producer(broker)) {
                send(producer, "before-", 10);
                assertThat(chips(broker, baseVersion, 10)).as("the configured model, nothing released (log: %s)",
                        dir.resolve("processor.log")).hasSize(10);

                Instant now = Instant.now();
                ModelRelease genesis = ModelReleases.genesis(baseVersion, base.toUri().toString(),
                        CheckpointStore.sha256(base.toUri()), UntrainedCheckpoints.CLASSES, now);
                ModelRelease next = ModelReleases.copy(genesis).setVersion(candidate.version())
                        .setCheckpointUri(candidate.uri().toString()).setSha256(candidate.sha256())
                        .setParentVersion(baseVersion).setStatus(ReleaseStatus.CANDIDATE).build();
                String prefix = TopicAccess.RELEASES_TRANSACTIONAL_ID_PREFIX + "it-";
                ModelReleases.publish(kafka, prefix, List.of(genesis, next));
                ModelReleases.publish(kafka, prefix, ModelReleases.promote(ModelReleases.read(kafka, Duration.ofSeconds(30)),
                        candidate.version(), Instant.now()));
                assertThat(chips(broker, candidate.version(), 10)).as("the promoted version replays every chip")
                        .hasSize(10);

                send(producer, "after-", 5);
                assertThat(chips(broker, candidate.version(), 15)).as("live chips reach the active version").hasSize(15);
                assertThat(chips(broker, baseVersion, 15)).as("and the previous one, kept for rollback").hasSize(15);

                ModelReleases.publish(kafka, prefix, ModelReleases.retire(ModelReleases.read(kafka, Duration.ofSeconds(30)),
                        baseVersion, Instant.now()));
                Thread.sleep(5_000); // the processor stops the retired embedder when it sees the record
                send(producer, "retired-", 3);
                assertThat(chips(broker, candidate.version(), 18)).hasSize(18);
                assertThat(chips(broker, baseVersion, 15)).as("nothing new for a retired version")
                        .noneMatch(id -> id.startsWith("retired-"));
            } finally {
                processor.destroy();
                if (!processor.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                    processor.destroyForcibly().waitFor();
                }
            }
            assertThat(Files.readString(dir.resolve("processor.log"))).contains("Stopping the embedder of " + baseVersion);
        }
    }

    private static void send(KafkaProducer<String, byte[]> producer, String prefix, int count) {
        for (int i = 0; i < count; i++) {
            EmbeddedStreams.send(producer, Topics.CHIPS, Chips.chip(prefix + i, prefix.hashCode() + i));
        }
        producer.flush();
    }

    /** Distinct chip ids with a committed embedding of the version. */
    private static Set<String> chips(EmbeddedKafkaBroker broker, String version, int expected) {
        List<ConsumerRecord<String, io.pirstream.schemas.avro.Embedding>> records = new ArrayList<>(
                EmbeddedStreams.readCommitted(broker, Topics.embeddings(version), expected, Duration.ofSeconds(120)));
        return records.stream().map(ConsumerRecord::key).collect(Collectors.toSet());
    }
}
