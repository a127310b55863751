package io.pirstream.query.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pirstream.schemas.AvroContracts;
import io.pirstream.schemas.Topic;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Alert;
import io.pirstream.schemas.avro.DeadLetter;
import io.pirstream.schemas.avro.Embedding;
import io.pirstream.schemas.avro.GeoBounds;
import io.pirstream.schemas.avro.PixelWindow;
import io.pirstream.schemas.avro.QueryFilters;
import io.pirstream.schemas.avro.Source;
import io.pirstream.schemas.avro.StandingQuery;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The matcher driven record by record: thresholds, filters, one alert per (subscription, chip), dead letters. */
class AlertTopologyTest {

    static final String VERSION = "pir-test";
    static final int DIM = 24;

    TopologyTestDriver driver;
    Topic<String, Embedding> embeddings = Topics.embeddings(VERSION);
    TestInputTopic<String, StandingQuery> queries;
    TestInputTopic<String, Embedding> chips;
    TestInputTopic<String, byte[]> rawChips;
    TestOutputTopic<String, Alert> alerts;
    TestOutputTopic<byte[], DeadLetter> dlq;
    List<DeadLetter> globalDeadLetters = new ArrayList<>();
    Random random = new Random(3);
    Path stateDir;

    @BeforeEach
    void setUp() throws Exception {
        AvroContracts.ensureTrusted();
        stateDir = Files.createTempDirectory("alert-topology-test-");
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "alerts-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        AlertTopology.Settings settings = new AlertTopology.Settings(VERSION, DIM, embeddings, Topics.QUERIES,
                Topics.ALERTS, Topics.DLQ, "alerts-test", 4, Duration.ofMillis(10), null);
        AlertTopology.Built built = AlertTopology.build(settings, new AlertMetrics(new SimpleMeterRegistry(), () -> 0),
                globalDeadLetters::add);
        driver = new TopologyTestDriver(built.topology(), props);
        queries = driver.createInputTopic(Topics.QUERIES.name(), Serdes.String().serializer(),
                Topics.QUERIES.valueSerde().serializer());
        chips = driver.createInputTopic(embeddings.name(), Serdes.String().serializer(), embeddings.valueSerde().serializer());
        rawChips = driver.createInputTopic(embeddings.name(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
        alerts = driver.createOutputTopic(Topics.ALERTS.name(), Serdes.String().deserializer(),
                Topics.ALERTS.valueSerde().deserializer());
        dlq = driver.createOutputTopic(Topics.DLQ.name(), Serdes.ByteArray().deserializer(),
                Topics.DLQ.valueSerde().deserializer());
    }

    @AfterEach
    void tearDown() {
        driver.close();
    }

    @Test
    void aMatchingChipRaisesOneAlertWithItsMetadataAndANonMatchingOneNone() {
        float[] lake = unit();
        queries.pipeInput("sub-1", query("sub-1", "a lake", lake, 0.9f, QueryFilters.newBuilder().build()));
        Instant ingested = Instant.parse("2026-11-26T10:00:01Z");
        chips.pipeInput("lake-chip", chip("lake-chip", lake, Source.DRONE, "uav-1", null, ingested));
        chips.pipeInput("other-chip", chip("other-chip", unit(), Source.DRONE, "uav-1", null, ingested));
        driver.advanceWallClockTime(Duration.ofMillis(20));

        List<Alert> raised = alerts.readValuesToList();
        assertThat(raised).as("one alert, for the matching chip only").hasSize(1);
        Alert alert = raised.get(0);
        assertThat(alert.getChipId()).as("chip").isEqualTo("lake-chip");
        assertThat(alert.getSubscriptionId()).as("subscription").isEqualTo("sub-1");
        assertThat(alert.getOwner()).as("owner").isEqualTo("alice");
        assertThat(alert.getScore()).as("cosine of a vector with itself").isGreaterThan(0.999f);
        assertThat(alert.getIngestedAt()).as("ingested-at").isEqualTo(ingested);
        assertThat(alert.getAlertedAt()).as("alerted-at").isAfter(ingested);
        assertThat(alert.getThumbnailUrl()).as("thumbnail link").isEqualTo("/v1/chips/lake-chip/thumbnail");
        assertThat(alert.getModelVersion()).as("model").isEqualTo(VERSION);
    }

    @Test
    void aFullBufferIsMatchedWithoutWaitingForThePunctuation() {
        float[] v = unit();
        queries.pipeInput("sub-1", query("sub-1", "x", v, 0.9f, QueryFilters.newBuilder().build()));
        for (int i = 0; i < 4; i++) {
            chips.pipeInput("c" + i, chip("c" + i, v, Source.DRONE, "uav", null, Instant.now()));
        }
        assertThat(alerts.readValuesToList()).as("max batch of 4 reached: matched at once").hasSize(4);
    }

    @Test
    void replaysAndReUploadsRaiseNoSecondAlert() {
        float[] v = unit();
        queries.pipeInput("sub-1", query("sub-1", "x", v, 0.5f, QueryFilters.newBuilder().build()));
        queries.pipeInput("sub-2", query("sub-2", "y", v, 0.5f, QueryFilters.newBuilder().build()));
        Embedding chip = chip("c1", v, Source.DRONE, "uav", null, Instant.now());
        chips.pipeInput("c1", chip);
        driver.advanceWallClockTime(Duration.ofMillis(20));
        assertThat(alerts.readValuesToList()).as("one alert per subscription").hasSize(2);

        chips.pipeInput("c1", chip); // replay of the topic
        chips.pipeInput("c1", Embedding.newBuilder(chip).setEmbeddedAt(Instant.now()).build()); // re-upload, re-embedded
        driver.advanceWallClockTime(Duration.ofMillis(20));
        assertThat(alerts.readValuesToList()).as("no second alert for the same (subscription, chip)").isEmpty();

        queries.pipeInput("sub-3", query("sub-3", "z", v, 0.5f, QueryFilters.newBuilder().build()));
        chips.pipeInput("c1", chip);
        driver.advanceWallClockTime(Duration.ofMillis(20));
        assertThat(alerts.readValuesToList()).as("a new subscription alerts once on a chip seen before")
                .extracting(Alert::getSubscriptionId).containsExactly("sub-3");
    }

    @Test
    void eachFilterHolds() {
        float[] v = unit();
        queries.pipeInput("drones", query("drones", "x", v, 0.5f, QueryFilters.newBuilder().setSources(List.of(Source.DRONE)).build()));
        queries.pipeInput("uav-7", query("uav-7", "x", v, 0.5f, QueryFilters.newBuilder().setPlatforms(List.of("uav-7")).build()));
        queries.pipeInput("zurich", query("zurich", "x", v, 0.5f,
                QueryFilters.newBuilder().setBbox(new GeoBounds(8.4, 47.3, 8.7, 47.5)).build()));
        chips.pipeInput("sat", chip("sat", v, Source.SATELLITE, "s2", null, Instant.now()));
        chips.pipeInput("drone-7", chip("drone-7", v, Source.DRONE, "uav-7", null, Instant.now()));
        chips.pipeInput("in-zurich", chip("in-zurich", v, Source.SATELLITE, "s2", new GeoBounds(8.5, 47.35, 8.52, 47.37), Instant.now()));
        chips.pipeInput("in-berlin", chip("in-berlin", v, Source.SATELLITE, "s2", new GeoBounds(13.3, 52.4, 13.4, 52.5), Instant.now()));
        driver.advanceWallClockTime(Duration.ofMillis(20));
        List<String> pairs = alerts.readValuesToList().stream().map(a -> a.getSubscriptionId() + "/" + a.getChipId()).toList();
        assertThat(pairs).as("source, platform and bbox filters").containsExactlyInAnyOrder("drones/drone-7", "uav-7/drone-7",
                "zurich/in-zurich");
    }

    @Test
    void deletedAndOtherVersionSubscriptionsDoNotMatch() {
        float[] v = unit();
        queries.pipeInput("gone", query("gone", "x", v, 0.5f, QueryFilters.newBuilder().build()));
        queries.pipeInput("gone", null);
        queries.pipeInput("v2", StandingQuery.newBuilder(query("v2", "x", v, 0.5f, QueryFilters.newBuilder().build()))
                .setModelVersion("pir-other").build());
        chips.pipeInput("c1", chip("c1", v, Source.DRONE, "uav", null, Instant.now()));
        driver.advanceWallClockTime(Duration.ofMillis(20));
        assertThat(alerts.readValuesToList()).as("a tombstone deletes; another model's vector space is not matched").isEmpty();
    }

    @Test
    void unreadableRecordsBecomeDeadLettersAndMatchingGoesOn() {
        float[] v = unit();
        queries.pipeInput("sub-1", query("sub-1", "x", v, 0.5f, QueryFilters.newBuilder().build()));
        queries.pipeInput("sub-short", query("sub-short", "x", new float[] {1f}, 0.5f, QueryFilters.newBuilder().build()));
        rawChips.pipeInput("junk", new byte[] {1, 2, 3});
        chips.pipeInput("alien", Embedding.newBuilder(chip("alien", v, Source.DRONE, "uav", null, Instant.now()))
                .setModelVersion("pir-other").build());
        chips.pipeInput("c1", chip("c1", v, Source.DRONE, "uav", null, Instant.now()));
        driver.advanceWallClockTime(Duration.ofMillis(20));
        assertThat(dlq.readValuesToList()).as("undecodable and foreign-model embeddings").hasSize(2)
                .allSatisfy(letter -> assertThat(letter.getSourceTopic()).as("source").isEqualTo(embeddings.name()));
        assertThat(globalDeadLetters).as("subscription with a vector of the wrong dimension").singleElement()
                .satisfies(letter -> assertThat(letter.getErrorMessage()).as("cause").contains("1-dimensional"));
        assertThat(alerts.readValuesToList()).as("matching went on").extracting(Alert::getChipId).containsExactly("c1");
    }

    StandingQuery query(String id, String text, float[] vector, float threshold, QueryFilters filters) {
        List<Float> values = new ArrayList<>();
        for (float x : vector) {
            values.add(x);
        }
        return StandingQuery.newBuilder().setSubscriptionId(id).setText(text).setThreshold(threshold).setFilters(filters)
                .setOwner("alice").setCreatedAt(Instant.now()).setModelVersion(VERSION).setVector(values).build();
    }

    Embedding chip(String id, float[] vector, Source source, String platform, GeoBounds geo, Instant ingested) {
        List<Float> values = new ArrayList<>();
        for (float x : vector) {
            values.add(x);
        }
        return Embedding.newBuilder().setChipId(id).setModelVersion(VERSION).setVector(values)
                .setSceneProbabilities(List.of(1f)).setTopScene("lake").setSceneId("scene").setWindow(new PixelWindow(0, 0, 256, 256))
                .setSource(source).setPlatform(platform).setCapturedAt(Instant.parse("2026-11-26T10:00:00Z"))
                .setEmbeddedAt(Instant.now()).setIngestedAt(ingested).setGeo(geo)
                .setThumbnail(ByteBuffer.wrap(new byte[] {1})).build();
    }

    float[] unit() {
        return SubscriptionMatrixBenchmark.unit(random, DIM);
    }
}
