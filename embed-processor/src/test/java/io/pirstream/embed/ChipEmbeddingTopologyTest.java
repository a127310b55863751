package io.pirstream.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pirstream.model.PirModel;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.DeadLetter;
import io.pirstream.schemas.avro.Embedding;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The topology on the TopologyTestDriver with the real (tiny) model: the model runs on the inference queue's own
 * thread, so outputs are collected by advancing the driver's wall clock until they appear.
 */
class ChipEmbeddingTopologyTest {

    private static final int BATCH = 3;
    private static final Duration MAX_WAIT = Duration.ofSeconds(1);

    @TempDir
    static Path modelDir;
    private static PirModel model;

    private SimpleMeterRegistry registry;
    private InferenceQueue inference;
    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> chips;
    private TestOutputTopic<String, Embedding> embeddings;
    private TestOutputTopic<byte[], DeadLetter> deadLetters;

    @BeforeAll
    static void loadModel() {
        model = TestModels.tiny(modelDir);
    }

    @AfterAll
    static void closeModel() {
        model.close();
    }

    @BeforeEach
    void startDriver() {
        startDriver(MAX_WAIT);
    }

    private void startDriver(Duration maxWait) {
        ChipEmbedder embedder = new ChipEmbedder(model);
        registry = new SimpleMeterRegistry();
        EmbedMetrics metrics = new EmbedMetrics(registry);
        inference = new InferenceQueue(embedder, BATCH, maxWait, metrics);
        var topology = ChipEmbeddingTopology.build(inference, new ChipEmbeddingTopology.Settings(Topics.CHIPS,
                ChipEmbeddingTopology.outputTopic(embedder), Topics.DLQ, "embed-test"), metrics);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "embed-test");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(topology, props);
        chips = driver.createInputTopic(Topics.CHIPS.name(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
        var output = ChipEmbeddingTopology.outputTopic(embedder);
        embeddings = driver.createOutputTopic(output.name(), output.keySerde().deserializer(),
                output.valueSerde().deserializer());
        deadLetters = driver.createOutputTopic(Topics.DLQ.name(), Topics.DLQ.keySerde().deserializer(),
                Topics.DLQ.valueSerde().deserializer());
    }

    @AfterEach
    void closeDriver() {
        driver.close();
        inference.close();
    }

    private void send(Chip chip) {
        chips.pipeInput(chip.getChipId(), Topics.CHIPS.valueSerde().serializer().serialize(Topics.CHIPS.name(), chip));
    }

    /** Lets the model finish everything queued, then runs the task's collecting punctuation. */
    private void collect() throws InterruptedException {
        assertThat(inference.awaitIdle(Duration.ofSeconds(30))).as("model finished within 30 s").isTrue();
        driver.advanceWallClockTime(ChipEmbeddingProcessor.COLLECT_INTERVAL);
    }

    private List<KeyValue<String, Embedding>> collectEmbeddings() throws InterruptedException {
        collect();
        return embeddings.readKeyValuesToList();
    }

    @Test
    void everyChipIsEmbeddedOnceWithItsMetadataAndLeavesTheBuffer() throws InterruptedException {
        send(Chips.chip("a", 1));
        send(Chips.chip("b", 2));
        send(Chips.chip("c", 3));

        var records = collectEmbeddings();
        KeyValueStore<String, byte[]> pending = driver.getKeyValueStore(ChipEmbeddingTopology.PENDING_STORE);
        assertThat(records).as("one embedding per chip").extracting(kv -> kv.key).containsExactlyInAnyOrder("a", "b", "c");
        assertThat(pending.approximateNumEntries()).as("buffer emptied").isZero();
        Embedding a = records.stream().filter(kv -> kv.key.equals("a")).findFirst().orElseThrow().value;
        assertThat(a.getModelVersion()).as("model version stamped").isEqualTo(model.version());
        assertThat(a.getVector()).as("vector dimension").hasSize(model.dimension());
        double norm = Math.sqrt(a.getVector().stream().mapToDouble(v -> v * v).sum());
        assertThat(norm).as("unit length").isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-3));
        assertThat(a.getSceneProbabilities()).as("one probability per class").hasSize(TestModels.CLASSES.size());
        assertThat(TestModels.CLASSES).as("top scene is a class").contains(a.getTopScene());
        assertThat(a.getPlatform()).as("platform copied").isEqualTo("uav-3");
        assertThat(a.getCapturedAt()).as("captured-at copied").isEqualTo(Chips.CAPTURED);
        assertThat(a.getGeo().getWest()).as("geo copied").isEqualTo(8.5);
        assertThat(a.getWindow().getX()).as("window copied").isEqualTo(64);
        assertThat(a.getThumbnail().remaining()).as("thumbnail at most 8 KB").isPositive().isLessThanOrEqualTo(8 * 1024);
        assertThat(deadLetters.isEmpty()).as("no dead letters").isTrue();
    }

    @Test
    void aChipWaitingForTheModelStaysInTheChangeloggedBufferUntilItsEmbeddingIsForwarded() throws InterruptedException {
        send(Chips.chip("waiting", 7));
        KeyValueStore<String, byte[]> pending = driver.getKeyValueStore(ChipEmbeddingTopology.PENDING_STORE);
        assertThat(pending.get("waiting")).as("buffered before any punctuation").isNotNull();
        assertThat(inference.awaitIdle(Duration.ofSeconds(30))).isTrue();
        assertThat(pending.get("waiting")).as("still buffered: embedded, but not yet forwarded").isNotNull();

        driver.advanceWallClockTime(ChipEmbeddingProcessor.COLLECT_INTERVAL);

        assertThat(embeddings.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("waiting");
        assertThat(pending.get("waiting")).as("removed in the transaction of its embedding").isNull();
    }

    @Test
    void aLoneChipWaitsAtMostMaxWaitForABatchAndChipsQueuedTogetherShareOneModelCall() throws InterruptedException {
        long start = System.nanoTime();
        send(Chips.chip("lonely", 4));
        assertThat(collectEmbeddings()).extracting(kv -> kv.key).containsExactly("lonely");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("held back for company, but not for long")
                .isGreaterThanOrEqualTo(MAX_WAIT).isLessThan(Duration.ofSeconds(30));
        DistributionSummary batches = registry.get("pirstream.embed.batch.size").summary();
        assertThat(batches.max()).as("the lone chip went alone").isOne();

        // a queue that would wait an hour: only a full batch can start the model call
        driver.close();
        inference.close();
        startDriver(Duration.ofHours(1));
        send(Chips.chip("x", 8));
        send(Chips.chip("y", 9));
        send(Chips.chip("z", 10));
        assertThat(collectEmbeddings()).extracting(kv -> kv.key).containsExactlyInAnyOrder("x", "y", "z");
        batches = registry.get("pirstream.embed.batch.size").summary();
        assertThat(batches.count()).as("one model call").isOne();
        assertThat(batches.max()).as("the full batch").isEqualTo(BATCH);
    }

    @Test
    void badRecordsGoToTheDeadLetterTopicWithTheirCauseAndTheRestGoesOn() throws InterruptedException {
        chips.pipeInput("garbage", "not avro at all".getBytes());
        send(Chips.chip("corrupt", "definitely not a png".getBytes()));
        send(Chips.chip("good", 5));
        chips.pipeInput(null, "no key".getBytes());

        assertThat(collectEmbeddings()).as("the good chip is embedded").extracting(kv -> kv.key)
                .containsExactly("good");
        List<DeadLetter> letters = deadLetters.readValuesToList();
        assertThat(letters).as("three dead letters").hasSize(3);
        DeadLetter garbage = letters.stream().filter(l -> "not avro at all".equals(text(l.getOriginalValue())))
                .findFirst().orElseThrow();
        assertThat(garbage.getSourceTopic()).as("source topic").isEqualTo(Topics.CHIPS.name());
        assertThat(garbage.getSourceOffset()).as("source offset").isZero();
        assertThat(garbage.getErrorMessage()).as("cause").contains("Not an Avro single-object encoded Chip");
        assertThat(garbage.getProcessor()).as("who refused it").isEqualTo("embed-test");
        assertThat(letters).as("corrupt image named").anySatisfy(l -> assertThat(l.getErrorMessage())
                .contains("chip corrupt").contains("UNSUPPORTED_FORMAT"));
        assertThat(letters).as("missing key named").anySatisfy(l -> assertThat(l.getErrorMessage())
                .contains("without a key"));
        KeyValueStore<String, byte[]> pending = driver.getKeyValueStore(ChipEmbeddingTopology.PENDING_STORE);
        assertThat(pending.approximateNumEntries()).as("nothing left behind").isZero();
    }

    @Test
    void hostileRecordsAreDeadLetteredWithoutHarmingTheTask() throws InterruptedException {
        byte[] unknownSchema = java.nio.ByteBuffer.allocate(30).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .put((byte) 0xC3).put((byte) 0x01).putLong(0x0123456789ABCDEFL).array();
        chips.pipeInput("unknown-schema", unknownSchema);
        chips.pipeInput("empty-value", new byte[0]);
        send(Chips.chip("bomb", io.pirstream.testkit.imagery.TestImagery.pngBomb(30_000, 30_000)));
        send(Chips.chip("gif", gif()));
        send(Chips.chip("fine", 8));

        assertThat(collectEmbeddings()).as("the good chip is embedded").extracting(kv -> kv.key)
                .containsExactly("fine");
        List<DeadLetter> letters = deadLetters.readValuesToList();
        assertThat(letters).as("one dead letter per hostile record").hasSize(4);
        assertThat(letters).as("unknown writer schema").anySatisfy(l -> assertThat(l.getErrorMessage())
                .contains("Unknown schema fingerprint 0123456789abcdef"));
        assertThat(letters).as("empty value").anySatisfy(l -> assertThat(l.getErrorMessage()).contains("Not an Avro"));
        assertThat(letters).as("bomb refused from its header").anySatisfy(l -> assertThat(l.getErrorMessage())
                .contains("chip bomb").contains("SIDE_TOO_LONG").contains("30,000 x 30,000 px"));
        assertThat(letters).as("a GIF declared PNG").anySatisfy(l -> assertThat(l.getErrorMessage())
                .contains("chip gif").contains("UNSUPPORTED_FORMAT").contains("GIF"));
    }

    @Test
    void imagesTheDecoderRefusesAreDeadLetteredWithTheirReasonAndTheNextChipIsEmbedded() throws InterruptedException {
        // a complete, decodable 4096 x 4096 PNG of a few kilobytes: within the side limit, but not the chip it claims
        byte[] bomb = io.pirstream.testkit.imagery.TestImagery.compressiblePng(4096, 4096);
        byte[] good = io.pirstream.testkit.imagery.TestImagery.png(64, 64, 5);
        byte[] truncated = java.util.Arrays.copyOf(good, good.length / 2);
        byte[] damaged = good.clone();
        damaged[damaged.length - 20] ^= 0x55; // inside the last IDAT chunk: its CRC no longer matches
        send(Chips.chip("small-bomb", bomb));
        send(Chips.chip("truncated", truncated));
        send(Chips.chip("damaged", damaged));
        send(Chips.chip("fine", 9));

        assertThat(collectEmbeddings()).as("only the good chip is embedded").extracting(kv -> kv.key)
                .containsExactly("fine");
        List<DeadLetter> letters = deadLetters.readValuesToList();
        assertThat(letters).as("one dead letter per refused image").hasSize(3);
        assertThat(letters).as("the bomb, refused from its header").anySatisfy(l -> assertThat(l.getErrorMessage())
                .contains("chip small-bomb").contains("4096 x 4096 px but the chip declares 64 x 64")
                .contains("refused before decoding"));
        assertThat(letters).as("truncated").anySatisfy(l -> assertThat(l.getErrorMessage())
                .contains("chip truncated").contains("TRUNCATED"));
        assertThat(letters).as("a failed CRC").anySatisfy(l -> assertThat(l.getErrorMessage())
                .contains("chip damaged").contains("CORRUPT").contains("CRC"));
        KeyValueStore<String, byte[]> pending = driver.getKeyValueStore(ChipEmbeddingTopology.PENDING_STORE);
        assertThat(pending.approximateNumEntries()).as("nothing left behind").isZero();
    }

    private static byte[] gif() {
        try {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            javax.imageio.ImageIO.write(io.pirstream.testkit.imagery.TestImagery.image(32, 32, 1), "gif", out);
            return out.toByteArray();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aRejectedCopyOfAChipLeavesTheChipItReplacedPending() throws InterruptedException {
        send(Chips.chip("twice", 12));
        send(Chips.chip("twice", "a corrupt second copy".getBytes()));

        assertThat(collectEmbeddings()).as("the readable copy is still embedded").extracting(kv -> kv.key)
                .containsExactly("twice");
        assertThat(deadLetters.readValuesToList()).as("the corrupt copy is dead-lettered").singleElement()
                .satisfies(letter -> assertThat(letter.getSourceOffset()).as("its offset").isOne());
    }

    @Test
    void anIdenticalReUploadIsNotEmbeddedAgainButAChangedOneIs() throws InterruptedException {
        Chip first = Chips.chip("same", 31);
        send(first);
        assertThat(collectEmbeddings()).extracting(kv -> kv.key).containsExactly("same");

        // the same chip uploaded again later: only its arrival time differs
        send(Chip.newBuilder(first).setIngestedAt(first.getIngestedAt().plusSeconds(60)).build());
        assertThat(collectEmbeddings()).as("an identical re-upload costs no embedding").isEmpty();
        assertThat(registry.get("pirstream.embed.chips.unchanged").counter().count()).as("counted as unchanged")
                .isOne();
        assertThat(registry.get("pirstream.embed.chips").counter().count()).as("embedded once").isOne();

        // the same pixels from another platform: the embedding's metadata must follow the latest upload
        send(Chip.newBuilder(first).setPlatform("uav-9").build());
        assertThat(collectEmbeddings()).as("a changed copy is embedded again").singleElement()
                .satisfies(kv -> assertThat(kv.value.getPlatform()).isEqualTo("uav-9"));

        // and the first copy again: it is no longer the one whose embedding was written
        send(first);
        assertThat(collectEmbeddings()).as("the first copy, back again, is embedded again").singleElement()
                .satisfies(kv -> assertThat(kv.value.getPlatform()).isEqualTo("uav-3"));
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    @Test
    void anIdenticalCopyIsEmbeddedAgainWhenADifferentCopyIsStillPending() throws InterruptedException {
        Chip original = Chips.chip("contested", 32);
        send(original);
        assertThat(collectEmbeddings()).hasSize(1);

        // a different copy arrives, then the original again before the model is done with the different one: the
        // different copy's outcome is superseded, so the original must be embedded again or the topic would end with
        // nothing for the latest upload
        send(Chip.newBuilder(original).setPlatform("uav-9").build());
        send(original);
        assertThat(collectEmbeddings()).as("one embedding, of the latest copy").singleElement()
                .satisfies(kv -> assertThat(kv.value.getPlatform()).isEqualTo("uav-3"));
        KeyValueStore<String, byte[]> pending = driver.getKeyValueStore(ChipEmbeddingTopology.PENDING_STORE);
        assertThat(pending.approximateNumEntries()).as("nothing left behind").isZero();
    }

    @Test
    void aDeletedChipUploadedAgainIsEmbeddedAgain() throws InterruptedException {
        Chip chip = Chips.chip("back", 33);
        send(chip);
        assertThat(collectEmbeddings()).hasSize(1);
        chips.pipeInput("back", (byte[]) null);
        assertThat(embeddings.readKeyValuesToList()).as("the embedding is deleted").singleElement()
                .satisfies(kv -> assertThat(kv.value).isNull());
        KeyValueStore<String, byte[]> embedded = driver.getKeyValueStore(ChipEmbeddingTopology.EMBEDDED_STORE);
        assertThat(embedded.get("back")).as("and so is its fingerprint").isNull();

        send(chip);
        assertThat(collectEmbeddings()).as("embedded again after the delete").extracting(kv -> kv.key)
                .containsExactly("back");
    }

    @Test
    void theFingerprintIgnoresOnlyTheArrivalTime() {
        Chip chip = Chips.chip("f", 34);
        byte[] fingerprint = ChipEmbeddingProcessor.fingerprint(chip);
        assertThat(fingerprint).as("SHA-256").hasSize(32);
        assertThat(ChipEmbeddingProcessor.fingerprint(Chip.newBuilder(chip)
                .setIngestedAt(chip.getIngestedAt().plusSeconds(3600)).build())).as("arrival time ignored")
                .isEqualTo(fingerprint);
        assertThat(ChipEmbeddingProcessor.fingerprint(Chip.newBuilder(chip)
                .setCapturedAt(chip.getCapturedAt().plusSeconds(1)).build())).as("capture time counts")
                .isNotEqualTo(fingerprint);
        assertThat(ChipEmbeddingProcessor.fingerprint(Chips.chip("f", 35))).as("pixels count").isNotEqualTo(fingerprint);
        assertThat(chip.getIngestedAt()).as("the chip itself is left as it was").isNotEqualTo(java.time.Instant.EPOCH);
    }

    @Test
    void tombstoneDeletesTheChipsEmbeddingEvenWhileTheModelIsWorkingOnIt() throws InterruptedException {
        send(Chips.chip("gone", 6));
        chips.pipeInput("gone", (byte[]) null);

        List<KeyValue<String, Embedding>> records = new ArrayList<>(embeddings.readKeyValuesToList());
        records.addAll(collectEmbeddings());
        assertThat(records).as("a tombstone for the embedding, and nothing else").singleElement()
                .satisfies(kv -> {
                    assertThat(kv.key).as("key").isEqualTo("gone");
                    assertThat(kv.value).as("value").isNull();
                });
    }

    @Test
    void aModelFailureStopsTheTaskAndKeepsItsChipsForTheRetry(@TempDir Path otherModel) throws InterruptedException {
        driver.close();
        inference.close();
        PirModel broken = TestModels.tiny(otherModel);
        ChipEmbedder embedder = new ChipEmbedder(broken);
        EmbedMetrics metrics = new EmbedMetrics(new SimpleMeterRegistry());
        inference = new InferenceQueue(embedder, BATCH, Duration.ZERO, metrics);
        driver = new TopologyTestDriver(ChipEmbeddingTopology.build(inference, new ChipEmbeddingTopology.Settings(
                Topics.CHIPS, ChipEmbeddingTopology.outputTopic(embedder), Topics.DLQ, "embed-test"), metrics));
        chips = driver.createInputTopic(Topics.CHIPS.name(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
        broken.close(); // every model call now fails: not one chip's fault

        // the failure surfaces wherever the task next collects: at the end of process() when the model already
        // failed, otherwise at the collecting punctuation
        assertThatThrownBy(() -> {
            send(Chips.chip("unlucky", 11));
            collect();
        }).as("the task fails, so Kafka Streams retries it from the last commit")
                .hasStackTraceContaining("the model failed on a batch of 1 chips").hasStackTraceContaining("model is closed");
        KeyValueStore<String, byte[]> pending = driver.getKeyValueStore(ChipEmbeddingTopology.PENDING_STORE);
        assertThat(pending.get("unlucky")).as("not dead-lettered, not dropped: still pending").isNotNull();
    }

    @Test
    void aChipTheModelFailsOnAloneIsDeadLetteredAndTheOthersAreEmbedded() throws InterruptedException {
        driver.close();
        inference.close();
        // fault injection: the real model, failing on any call that includes the chip "poison"
        ChipEmbedder embedder = new ChipEmbedder(model) {
            @Override
            public List<Outcome> embed(List<DecodedChip> batch, java.time.Instant now) {
                if (batch.stream().anyMatch(c -> c.chip().getChipId().equals("poison"))) {
                    throw new IllegalStateException("kernel failure on a poison input");
                }
                return super.embed(batch, now);
            }
        };
        EmbedMetrics metrics = new EmbedMetrics(new SimpleMeterRegistry());
        inference = new InferenceQueue(embedder, BATCH, MAX_WAIT, metrics);
        driver = new TopologyTestDriver(ChipEmbeddingTopology.build(inference, new ChipEmbeddingTopology.Settings(
                Topics.CHIPS, ChipEmbeddingTopology.outputTopic(embedder), Topics.DLQ, "embed-test"), metrics));
        chips = driver.createInputTopic(Topics.CHIPS.name(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
        var output = ChipEmbeddingTopology.outputTopic(embedder);
        embeddings = driver.createOutputTopic(output.name(), output.keySerde().deserializer(), output.valueSerde().deserializer());
        deadLetters = driver.createOutputTopic(Topics.DLQ.name(), Topics.DLQ.keySerde().deserializer(),
                Topics.DLQ.valueSerde().deserializer());

        send(Chips.chip("before", 21));
        send(Chips.chip("poison", 22));
        send(Chips.chip("after", 23));
        assertThat(collectEmbeddings()).as("the chips around the poison one are embedded").extracting(kv -> kv.key)
                .containsExactlyInAnyOrder("before", "after");
        assertThat(deadLetters.readValuesToList()).as("the poison chip is dead-lettered, naming it").singleElement()
                .satisfies(letter -> assertThat(letter.getErrorMessage()).as("cause").contains("fails on chip poison alone"));
        KeyValueStore<String, byte[]> pending = driver.getKeyValueStore(ChipEmbeddingTopology.PENDING_STORE);
        assertThat(pending.get("poison")).as("nothing left pending").isNull();
    }

    private static String text(ByteBuffer buffer) {
        if (buffer == null) {
            return null;
        }
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return new String(bytes);
    }
}
