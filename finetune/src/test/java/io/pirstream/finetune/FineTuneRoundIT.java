package io.pirstream.finetune;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pirstream.model.Checkpoint;
import io.pirstream.model.CheckpointStore;
import io.pirstream.model.UntrainedCheckpoints;
import io.pirstream.model.synth.SyntheticScenes;
import io.pirstream.model.train.FineTuneConfig;
import io.pirstream.schemas.KafkaClientSecurity;
import io.pirstream.schemas.ModelReleases;
import io.pirstream.schemas.TopicAccess;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.ImageFormat;
import io.pirstream.schemas.avro.ModelRelease;
import io.pirstream.schemas.avro.PixelWindow;
import io.pirstream.schemas.avro.ReleaseStatus;
import io.pirstream.schemas.avro.Source;
import io.pirstream.testkit.EmbeddedKafkaBroker;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fine-tune job against a real broker (one per test: {@code pir.models} is one topic per cluster) with the tiny
 * untrained checkpoint as the base model: feedback and chips in, a stored checkpoint and a release out.
 */
class FineTuneRoundIT {

    static final int CHIPS = 12;
    /**
     * Few steps and small sets: these tests check the job; FeedbackHelpsTest checks that training helps. The untrained
     * model's figures are noise that any step moves either way, so the gate lets everything through here (tolerance 100
     * points) unless a test demands otherwise; ValidationGateTest checks the gate itself.
     */
    static final FineTuneConfig FAST = new FineTuneConfig(4, 8, 4, 2, null, 1e-3f, 0f, null, null, 16, null, null, 20, 20, 100.0, null,
            5L);

    @TempDir
    Path dir;

    EmbeddedKafkaBroker broker;
    Path base;
    ByteArrayOutputStream log = new ByteArrayOutputStream();

    @BeforeEach
    void start() {
        broker = EmbeddedKafkaBroker.builder().build().start();
        broker.ensureTopics(Topics.core());
        base = dir.resolve("base");
        UntrainedCheckpoints.writeTiny(base);
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    FineTuneRound.Settings settings() {
        return FineTuneRound.Settings.of(broker.clientConfig(), dir.resolve("store")).withBaseCheckpoint(base).withConfig(FAST)
                .withReport(dir.resolve("report.json")).withTimeout(Duration.ofSeconds(30))
                .withLog(new PrintStream(log, true, StandardCharsets.UTF_8));
    }

    @Test
    void feedbackBecomesAVerifiedCandidateAndARerunWithoutNewFeedbackDoesNothing() throws IOException {
        writeChipsAndFeedback();
        FineTuneRound.Outcome outcome = FineTuneRound.run(settings());

        assertThat(outcome.status()).as("outcome %s; log:%n%s", outcome.message(), log).isEqualTo(FineTuneRound.Status.CANDIDATE);
        ModelReleases.Snapshot releases = ModelReleases.read(broker.clientConfig(), Duration.ofSeconds(30));
        String baseVersion = Checkpoint.read(base).manifest().version();
        assertThat(releases.active()).as("the base model was recorded as the genesis release").get()
                .extracting(ModelRelease::getVersion).isEqualTo(baseVersion);
        ModelRelease candidate = releases.get(outcome.release().getVersion()).orElseThrow();
        assertThat(candidate.getStatus()).as("published as a candidate").isEqualTo(ReleaseStatus.CANDIDATE);
        assertThat(candidate.getParentVersion()).as("parent").isEqualTo(baseVersion);
        assertThat(candidate.getValidationMetrics()).as("metrics of both sides and the feedback consumed")
                .containsKeys("synthetic.mR", "parent.synthetic.mR", FineTuneRound.FEEDBACK_CONSUMED);
        Checkpoint.Loaded stored = CheckpointStore.read(URI.create(candidate.getCheckpointUri()), candidate.getSha256());
        assertThat(stored.manifest().version()).as("the stored checkpoint verifies against the release").isEqualTo(candidate.getVersion());
        assertThat(log.toString(StandardCharsets.UTF_8)).as("bad records are skipped with a reason")
                .contains("not a Feedback record").contains("not a Chip record");
        assertThat(Files.readString(dir.resolve("report.json"))).as("the progress report ends with the outcome").contains("\"CANDIDATE\"");

        FineTuneRound.Outcome again = FineTuneRound.run(settings());
        assertThat(again.status()).as("no new feedback: %s", again.message()).isEqualTo(FineTuneRound.Status.NOTHING_TO_DO);
        assertThat(ModelReleases.read(broker.clientConfig(), Duration.ofSeconds(30)).byVersion()).as("nothing new published")
                .hasSameSizeAs(releases.byVersion());
    }

    @Test
    void aCandidateThatRegressesIsRefusedWithTheReason() throws IOException {
        writeChipsAndFeedback();
        // a negative tolerance demands that every metric improve by 1000 points: no candidate can
        FineTuneRound.Outcome outcome = FineTuneRound.run(settings().withConfig(FAST.withTolerance(-1000)));

        assertThat(outcome.status()).as("outcome %s", outcome.message()).isEqualTo(FineTuneRound.Status.REFUSED);
        ModelReleases.Snapshot releases = ModelReleases.read(broker.clientConfig(), Duration.ofSeconds(30));
        ModelRelease refused = releases.get(outcome.release().getVersion()).orElseThrow();
        assertThat(refused.getStatus()).as("recorded as refused").isEqualTo(ReleaseStatus.REFUSED);
        assertThat(refused.getRefusal()).as("the refusal names the metric").contains("validation regressed").contains("synthetic.mR fell");
        assertThat(releases.byVersion().values()).as("no candidate").noneMatch(r -> r.getStatus() == ReleaseStatus.CANDIDATE);
    }

    @Test
    void aJobKilledMidRunLeavesNoReleaseAndARerunCompletes() throws Exception {
        writeChipsAndFeedback();
        // the job in a child JVM, long enough to be killed while it trains (SIGKILL: no finally block runs)
        Path config = dir.resolve("long.json");
        new ObjectMapper().writeValue(config.toFile(), FAST.withSteps(400));
        Path report = dir.resolve("child-report.json");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-Dai.djl.offline=true"));
        for (String cache : List.of("ENGINE_CACHE_DIR", "DJL_CACHE_DIR")) {
            if (System.getProperty(cache) != null) {
                command.add("-D" + cache + "=" + System.getProperty(cache));
            }
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), FineTuneJob.class.getName(), "--bootstrap-servers",
                broker.bootstrapServers(), "--store", dir.resolve("store").toString(), "--base-checkpoint", base.toString(), "--config",
                config.toString(), "--report", report.toString(), "--timeout", "PT30S"));
        Path childLog = dir.resolve("child.log");
        Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(childLog.toFile()).start();
        try {
            long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            while (child.isAlive() && System.nanoTime() < deadline && !(Files.exists(report) && Files.readString(report).contains("\"step\""))) {
                Thread.sleep(100);
            }
            assertThat(child.isAlive()).as("the job is still training when killed; its log:%n%s", Files.readString(childLog)).isTrue();
        } finally {
            child.destroyForcibly().waitFor();
        }

        ModelReleases.Snapshot releases = ModelReleases.read(broker.clientConfig(), Duration.ofSeconds(30));
        assertThat(releases.byVersion().values()).as("only the genesis release").singleElement()
                .extracting(ModelRelease::getStatus).isEqualTo(ReleaseStatus.ACTIVE);
        try (Stream<Path> stored = Files.list(dir.resolve("store"))) {
            assertThat(stored.map(p -> p.getFileName().toString()).filter(name -> !name.startsWith(".")))
                    .as("no stored candidate, only the base model (a dot-named work folder may remain)")
                    .containsExactly(releases.active().orElseThrow().getVersion());
        }

        FineTuneRound.Outcome rerun = FineTuneRound.run(settings());
        assertThat(rerun.status()).as("the rerun completes: %s", rerun.message()).isEqualTo(FineTuneRound.Status.CANDIDATE);
    }

    @Test
    void theJobsOwnPrincipalNeedsNoMoreThanTopicAccessGrantsIt() throws IOException {
        broker.close();
        broker = EmbeddedKafkaBroker.builder().optSaslScram("admin-secret").build().start();
        broker.ensureTopics(Topics.core());
        writeChipsAndFeedback();
        KafkaClientSecurity job = broker.addServicePrincipal(TopicAccess.Service.FINETUNE, "finetune-secret");
        FineTuneRound.Settings settings = settings();
        FineTuneRound.Outcome outcome = FineTuneRound.run(new FineTuneRound.Settings(
                job.apply(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers())), settings.store(),
                settings.baseCheckpoint(), settings.config(), 1, settings.replicationFactor(), settings.timeout(), null, settings.log(), null));
        assertThat(outcome.status()).as("as User:%s: %s; log:%n%s", TopicAccess.Service.FINETUNE.user(), outcome.message(), log)
                .isEqualTo(FineTuneRound.Status.CANDIDATE);
    }

    @Test
    void theSchedulerRunsARoundOnceEnoughFeedbackHasArrived() throws IOException, InterruptedException {
        writeChipsAndFeedback();
        try (FineTuneScheduler scheduler = FineTuneScheduler.start(settings(), 5, null, Duration.ofMillis(200))) {
            long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            while (scheduler.lastOutcome().map(o -> o.status() == FineTuneRound.Status.NOTHING_TO_DO).orElse(true)
                    && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(scheduler.lastOutcome()).as("a round ran; log:%n%s", log).get().extracting(FineTuneRound.Outcome::status)
                    .isEqualTo(FineTuneRound.Status.CANDIDATE);
        }
    }

    /**
     * Chips of generated scenes and judgements on them: chip i is relevant for one of its captions, every fourth is
     * also judged not relevant for another scene's caption; two users disagree on one pair (a tie, dropped); one
     * feedback record and one chip record do not decode.
     */
    void writeChipsAndFeedback() throws IOException {
        Map<String, Object> config = new HashMap<>(broker.clientConfig());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, Chip> chips = new KafkaProducer<>(config, new StringSerializer(), Topics.CHIPS.valueSerde().serializer());
                KafkaProducer<String, io.pirstream.schemas.avro.Feedback> feedback = new KafkaProducer<>(config, new StringSerializer(),
                        Topics.FEEDBACK.valueSerde().serializer());
                KafkaProducer<String, byte[]> raw = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
            long at = 1_000;
            for (int i = 0; i < CHIPS; i++) {
                SyntheticScenes.Scene scene = SyntheticScenes.generate(700 + i, 64);
                chips.send(new ProducerRecord<>(Topics.CHIPS.name(), "chip-" + i, chip("chip-" + i, png(scene))));
                feedback.send(new ProducerRecord<>(Topics.FEEDBACK.name(), "chip-" + i,
                        FeedbackResolverTest.feedback("ann", scene.captions().get(0), "chip-" + i, true, at++)));
                if (i % 4 == 0) {
                    String other = SyntheticScenes.generate(900 + i, 64).captions().get(1);
                    feedback.send(new ProducerRecord<>(Topics.FEEDBACK.name(), "chip-" + i,
                            FeedbackResolverTest.feedback("bob", other, "chip-" + i, false, at++)));
                }
            }
            feedback.send(new ProducerRecord<>(Topics.FEEDBACK.name(), "chip-1", FeedbackResolverTest.feedback("bob", "a lake", "chip-1", false, at++)));
            feedback.send(new ProducerRecord<>(Topics.FEEDBACK.name(), "chip-1", FeedbackResolverTest.feedback("cid", "a lake", "chip-1", true, at++)));
            feedback.send(new ProducerRecord<>(Topics.FEEDBACK.name(), "chip-broken",
                    FeedbackResolverTest.feedback("ann", "a broken chip", "chip-broken", true, at++)));
            raw.send(new ProducerRecord<>(Topics.FEEDBACK.name(), "garbage", "not avro".getBytes(StandardCharsets.UTF_8)));
            raw.send(new ProducerRecord<>(Topics.CHIPS.name(), "chip-broken", "not avro either".getBytes(StandardCharsets.UTF_8)));
        }
    }

    static Chip chip(String id, byte[] png) {
        return Chip.newBuilder().setChipId(id).setSceneId("scene-" + id).setImage(ByteBuffer.wrap(png)).setFormat(ImageFormat.PNG)
                .setWidth(64).setHeight(64).setWindow(new PixelWindow(0, 0, 64, 64)).setSceneWidth(64).setSceneHeight(64)
                .setSource(Source.DRONE).setPlatform("uav-1").setCapturedAt(Instant.parse("2026-11-01T10:00:00Z"))
                .setIngestedAt(Instant.parse("2026-11-01T10:00:01Z")).build();
    }

    static byte[] png(SyntheticScenes.Scene scene) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(scene.image(), "png", bytes);
        return bytes.toByteArray();
    }
}
