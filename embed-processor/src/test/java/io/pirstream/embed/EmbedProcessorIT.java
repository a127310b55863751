package io.pirstream.embed;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pirstream.model.PirModel;
import io.pirstream.schemas.Topic;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.DeadLetter;
import io.pirstream.schemas.avro.Embedding;
import io.pirstream.testkit.EmbeddedKafkaBroker;
import io.pirstream.testkit.EmbeddedKafkaExtension;
import io.pirstream.testkit.imagery.TestImagery;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The processor against the embedded KRaft broker, exactly-once. */
@ExtendWith(EmbeddedKafkaExtension.class)
class EmbedProcessorIT {

    @TempDir
    static Path modelDir;
    private static PirModel model;

    @BeforeAll
    static void loadModel() {
        model = TestModels.tiny(modelDir);
    }

    @AfterAll
    static void closeModel() {
        model.close();
    }

    private record Run(Topic<String, Chip> chips, Topic<byte[], DeadLetter> dlq, Topic<String, Embedding> embeddings,
                       String applicationId) {
    }

    /** Fresh topic names per test, since the broker is shared. */
    private static Run freshRun(EmbeddedKafkaBroker broker) {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        Run run = new Run(Topics.CHIPS.withName("pir.chips." + suffix), Topics.DLQ.withName("pir.dlq." + suffix),
                Topics.embeddings(model.version() + "-" + suffix), "embed-it-" + suffix);
        broker.ensureTopics(List.of(run.chips(), run.dlq(), run.embeddings()));
        return run;
    }

    /** A running processor: its streams instance and the inference queue behind it. */
    private record Instance(KafkaStreams streams, InferenceQueue inference, SimpleMeterRegistry registry)
            implements AutoCloseable {
        @Override
        public void close() {
            streams.close();
            inference.close();
        }
    }

    private static Instance start(EmbeddedKafkaBroker broker, Run run, Path stateDir) {
        ChipEmbedder embedder = new ChipEmbedder(model);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        EmbedMetrics metrics = new EmbedMetrics(registry);
        InferenceQueue inference = new InferenceQueue(embedder, 8, Duration.ofMillis(20), metrics);
        var topology = ChipEmbeddingTopology.build(inference, new ChipEmbeddingTopology.Settings(run.chips(),
                run.embeddings(), run.dlq(), run.applicationId()), metrics);
        var props = EmbedProcessor.streamsConfig(broker.bootstrapServers(), run.applicationId(), stateDir, 8, (short) 1);
        KafkaStreams streams = new KafkaStreams(topology, props);
        streams.start();
        return new Instance(streams, inference, registry);
    }

    @Test
    void everyChipGetsExactlyOneEmbeddingAndBadRecordsGoToTheDlq(EmbeddedKafkaBroker broker, @TempDir Path state) {
        Run run = freshRun(broker);
        try (KafkaProducer<String, byte[]> producer = EmbeddedStreams.producer(broker)) {
            for (int i = 0; i < 40; i++) {
                EmbeddedStreams.send(producer, run.chips(), Chips.chip("chip-" + i, i));
            }
            producer.send(new ProducerRecord<>(run.chips().name(), "bad", "not a chip".getBytes()));
        }
        try (Instance processor = start(broker, run, state)) {
            List<ConsumerRecord<String, Embedding>> out = EmbeddedStreams.embeddings(broker, run.embeddings(), 40);
            Map<String, Long> perChip = out.stream().collect(Collectors.groupingBy(ConsumerRecord::key, Collectors.counting()));
            assertThat(perChip).as("40 chips, one embedding each").hasSize(40).allSatisfy((k, n) -> assertThat(n).as(k).isOne());
            assertThat(out).as("model version stamped").allSatisfy(r -> assertThat(r.value().getModelVersion())
                    .isEqualTo(model.version()));
            var letters = EmbeddedStreams.deadLetters(broker, run.dlq(), 1);
            assertThat(letters).as("the bad record in the DLQ").singleElement()
                    .satisfies(r -> assertThat(r.value().getErrorMessage()).contains("Not an Avro"));
        }
    }

    @Test
    void identicalReUploadsAreSkippedEvenByAnInstanceThatRestoredItsStateFromTheChangelog(EmbeddedKafkaBroker broker,
                                                                                        @TempDir Path firstState,
                                                                                        @TempDir Path freshState) {
        Run run = freshRun(broker);
        List<Chip> chips = java.util.stream.IntStream.range(0, 10).mapToObj(i -> Chips.chip("chip-" + i, i)).toList();
        try (KafkaProducer<String, byte[]> producer = EmbeddedStreams.producer(broker)) {
            chips.forEach(chip -> sendToPartitionZero(producer, run, chip));
        }
        try (Instance processor = start(broker, run, firstState)) {
            assertThat(EmbeddedStreams.embeddings(broker, run.embeddings(), 10)).hasSize(10);
        }

        // an empty state directory: what the first instance knew must come back from the changelog
        try (KafkaProducer<String, byte[]> producer = EmbeddedStreams.producer(broker)) {
            chips.forEach(chip -> sendToPartitionZero(producer, run, Chip.newBuilder(chip)
                    .setIngestedAt(chip.getIngestedAt().plusSeconds(600)).build()));
            sendToPartitionZero(producer, run, Chips.chip("marker", 99)); // read after the re-uploads, by the same task
        }
        try (Instance processor = start(broker, run, freshState)) {
            List<ConsumerRecord<String, Embedding>> out = EmbeddedStreams.embeddings(broker, run.embeddings(), 11);
            assertThat(out).as("the marker is embedded, and nothing was embedded twice").hasSize(11)
                    .extracting(ConsumerRecord::key).contains("marker").doesNotHaveDuplicates();
            assertThat(processor.registry().get("pirstream.embed.chips.unchanged").counter().count())
                    .as("all ten re-uploads skipped before the marker was read").isEqualTo(10);
            assertThat(processor.registry().get("pirstream.embed.chips").counter().count())
                    .as("only the marker embedded by the restarted instance").isOne();
        }
    }

    private static void sendToPartitionZero(KafkaProducer<String, byte[]> producer, Run run, Chip chip) {
        producer.send(new ProducerRecord<>(run.chips().name(), 0, chip.getChipId(),
                run.chips().valueSerde().serializer().serialize(run.chips().name(), chip)));
    }

    @Test
    void aRecordAtTheTopicsSizeLimitIsDeadLetteredWithoutItsBytesAndTheStreamGoesOn(EmbeddedKafkaBroker broker,
                                                                                   @TempDir Path state) {
        Run run = freshRun(broker);
        byte[] huge = new byte[Topics.MAX_MESSAGE_BYTES - 4096]; // what the chips topic still accepts
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_MESSAGE_BYTES),
                new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(run.chips().name(), 0, "huge", huge));
            for (int i = 0; i < 5; i++) {
                EmbeddedStreams.send(producer, run.chips(), Chips.chip("after-" + i, i));
            }
        }
        try (Instance processor = start(broker, run, state)) {
            assertThat(EmbeddedStreams.embeddings(broker, run.embeddings(), 5)).as("the chips after it are embedded")
                    .hasSize(5);
            assertThat(EmbeddedStreams.deadLetters(broker, run.dlq(), 1)).as("its dead letter fits the DLQ")
                    .singleElement().satisfies(r -> {
                        assertThat(r.value().getOriginalValue()).as("bytes left out").isNull();
                        assertThat(r.value().getErrorMessage()).as("where to find them").contains("not kept")
                                .contains(run.chips().name() + "/0@0");
                    });
        }
    }

    @Test
    void pngBombsWrittenToTheChipsTopicAreDeadLetteredAndTheNextChipIsEmbedded(EmbeddedKafkaBroker broker,
                                                                              @TempDir Path state) {
        Run run = freshRun(broker);
        var serializer = run.chips().valueSerde().serializer();
        try (KafkaProducer<String, byte[]> producer = EmbeddedStreams.producer(broker)) {
            // all on one partition, so the good chip is read after both bombs by the same task
            producer.send(new ProducerRecord<>(run.chips().name(), 0, "huge-bomb", serializer.serialize(
                    run.chips().name(), Chips.chip("huge-bomb", TestImagery.pngBomb(100_000, 100_000)))));
            producer.send(new ProducerRecord<>(run.chips().name(), 0, "chip-sized-bomb", serializer.serialize(
                    run.chips().name(), Chips.chip("chip-sized-bomb", TestImagery.compressiblePng(4096, 4096)))));
            producer.send(new ProducerRecord<>(run.chips().name(), 0, "good", serializer.serialize(
                    run.chips().name(), Chips.chip("good", 3))));
        }
        try (Instance processor = start(broker, run, state)) {
            assertThat(EmbeddedStreams.embeddings(broker, run.embeddings(), 1)).as("only the good chip is embedded")
                    .extracting(ConsumerRecord::key).containsExactly("good");
            List<String> causes = EmbeddedStreams.deadLetters(broker, run.dlq(), 2).stream()
                    .map(r -> r.value().getErrorMessage()).toList();
            assertThat(causes).as("each bomb dead-lettered, naming its cause").hasSize(2)
                    .anySatisfy(m -> assertThat(m).contains("chip huge-bomb").contains("SIDE_TOO_LONG"))
                    .anySatisfy(m -> assertThat(m).contains("chip chip-sized-bomb")
                            .contains("4096 x 4096 px but the chip declares 64 x 64"));
            assertThat(processor.streams().state()).as("the processor is still running")
                    .isEqualTo(KafkaStreams.State.RUNNING);
        }
    }

    @Test
    void twoInstancesShareSixPartitionsAndEmbedEveryChipOnce(EmbeddedKafkaBroker broker, @TempDir Path stateA,
                                                            @TempDir Path stateB) throws Exception {
        Run run = freshRun(broker);
        assertThat(run.chips().partitions()).as("chips topic partitions").isEqualTo(6);
        try (Instance first = start(broker, run, stateA); Instance second = start(broker, run, stateB);
             KafkaProducer<String, byte[]> producer = EmbeddedStreams.producer(broker)) {
            awaitRunning(first.streams(), second.streams());
            for (int i = 0; i < 120; i++) {
                EmbeddedStreams.send(producer, run.chips(), Chips.chip("chip-" + i, i));
            }
            producer.flush();
            List<ConsumerRecord<String, Embedding>> out = EmbeddedStreams.embeddings(broker, run.embeddings(), 120);
            Map<String, Long> perChip = out.stream().collect(Collectors.groupingBy(ConsumerRecord::key, Collectors.counting()));
            assertThat(perChip).as("120 chips, one embedding each").hasSize(120)
                    .allSatisfy((k, n) -> assertThat(n).as(k).isOne());
            // read the assignment once it is settled: a rebalance may still be moving a task
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            int tasksFirst;
            int tasksSecond;
            do {
                Thread.sleep(100);
                tasksFirst = activeTasks(first.streams());
                tasksSecond = activeTasks(second.streams());
            } while (tasksFirst + tasksSecond != 6 && System.nanoTime() < deadline);
            assertThat(tasksFirst + tasksSecond).as("six tasks in all").isEqualTo(6);
            assertThat(tasksFirst).as("both instances got work").isPositive();
            assertThat(tasksSecond).as("both instances got work").isPositive();
        }
    }

    private static int activeTasks(KafkaStreams streams) {
        return streams.metadataForLocalThreads().stream().mapToInt(thread -> thread.activeTasks().size()).sum();
    }

    private static void awaitRunning(KafkaStreams... instances) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (java.util.Arrays.stream(instances).allMatch(s -> s.state() == KafkaStreams.State.RUNNING)
                    && java.util.Arrays.stream(instances).allMatch(s -> s.metadataForLocalThreads().stream()
                    .mapToInt(t -> t.activeTasks().size()).sum() > 0)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("instances not all running with tasks within 60 s");
    }
}
