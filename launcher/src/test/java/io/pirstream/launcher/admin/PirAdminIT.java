package io.pirstream.launcher.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.schemas.ModelReleases;
import io.pirstream.schemas.TopicAccess;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.ModelRelease;
import io.pirstream.schemas.avro.ReleaseStatus;
import io.pirstream.testkit.EmbeddedKafkaBroker;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** pir-admin against a real broker: what operators see, and the clear refusals. */
class PirAdminIT {

    static EmbeddedKafkaBroker broker;

    /** Output, error output and exit code of one run. */
    record Run(int exit, String out, String err) {
    }

    @BeforeAll
    static void start() {
        broker = EmbeddedKafkaBroker.builder().build().start();
        broker.ensureTopics(List.of(Topics.MODELS, Topics.CHIPS));
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = PirAdmin.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        String[] all = new String[args.length + 2];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--bootstrap-servers";
        all[args.length + 1] = broker.bootstrapServers();
        int exit = cli.execute(all);
        return new Run(exit, out.toString(), err.toString());
    }

    static Map<String, Object> kafka() {
        return Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    }

    @Test
    void operatorsListPromoteRollBackAndRetireWithClearRefusals() throws Exception {
        assertThat(run("releases").out()).contains("No releases");

        Instant t0 = Instant.parse("2026-11-01T00:00:00Z");
        ModelRelease genesis = ModelReleases.genesis("pir-aaaa", "builtin:default", "11", List.of("forest"), t0);
        ModelRelease candidate = ModelReleases.copy(genesis).setVersion("pir-bbbb").setCheckpointUri("file:/models/pir-bbbb")
                .setParentVersion("pir-aaaa").setStatus(ReleaseStatus.CANDIDATE).setValidationMetrics(Map.of("synthetic.mR", 41.5))
                .setCreatedAt(t0.plusSeconds(60)).setUpdatedAt(t0.plusSeconds(60)).build();
        ModelRelease refused = ModelReleases.copy(candidate).setVersion("pir-cccc").setStatus(ReleaseStatus.REFUSED)
                .setRefusal("synthetic.mR fell 4.20 points (tolerance 1.00)").setCreatedAt(t0.plusSeconds(120)).build();
        ModelReleases.publish(kafka(), TopicAccess.RELEASES_TRANSACTIONAL_ID_PREFIX + "test-", List.of(genesis, candidate, refused));

        Run listed = run("releases");
        assertThat(listed.exit()).isZero();
        assertThat(listed.out()).contains("pir-aaaa", "ACTIVE", "pir-bbbb", "CANDIDATE", "synthetic.mR 41.50",
                "refused: synthetic.mR fell 4.20 points");

        Run unknown = run("promote", "pir-nope");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("no release pir-nope", "known: pir-aaaa, pir-bbbb, pir-cccc");
        assertThat(run("promote", "pir-cccc").err()).contains("failed validation", "synthetic.mR fell");

        assertThat(run("promote", "pir-bbbb").exit()).isZero();
        ModelReleases.Snapshot after = ModelReleases.read(kafka(), Duration.ofSeconds(30));
        assertThat(after.active()).map(ModelRelease::getVersion).contains("pir-bbbb");
        assertThat(after.get("pir-aaaa").orElseThrow().getStatus()).isEqualTo(ReleaseStatus.SHADOW);

        assertThat(run("retire", "pir-bbbb", "--yes").err()).contains("is active");
        assertThat(run("replay", "pir-bbbb", "--from", "yesterday").err()).contains("ISO-8601");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(kafka(), new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < 3; i++) {
                producer.send(new ProducerRecord<>(Topics.CHIPS.name(), "chip-" + i, "not read by this test")).get();
            }
        }
        assertThat(run("replay", "pir-bbbb", "--from", "2026-11-30T00:00:00Z").exit()).isZero();
        Run again = run("replay", "pir-bbbb"); // no embedder runs here: the replay has 3 chips to go
        assertThat(again.exit()).as(again.err()).isEqualTo(2);
        assertThat(again.err()).contains("still running");
        assertThat(run("progress").out()).contains("pir-bbbb", "pir-aaaa", "[");

        assertThat(run("rollback").exit()).isZero();
        assertThat(ModelReleases.read(kafka(), Duration.ofSeconds(30)).active()).map(ModelRelease::getVersion).contains("pir-aaaa");

        broker.ensureTopics(List.of(Topics.embeddings("pir-bbbb")));
        Run retired = run("retire", "pir-bbbb", "--yes");
        assertThat(retired.exit()).as(retired.err()).isZero();
        try (Admin admin = Admin.create(kafka())) {
            assertThat(admin.listTopics().names().get()).doesNotContain(Topics.embeddings("pir-bbbb").name());
        }
        assertThat(ModelReleases.read(kafka(), Duration.ofSeconds(30)).get("pir-bbbb").orElseThrow().getStatus())
                .isEqualTo(ReleaseStatus.RETIRED);
    }
}
