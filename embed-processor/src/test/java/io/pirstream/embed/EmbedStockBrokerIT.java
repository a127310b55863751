package io.pirstream.embed;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pirstream.model.PirModel;
import io.pirstream.schemas.Topic;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.DeadLetter;
import io.pirstream.schemas.avro.Embedding;
import io.pirstream.schemas.avro.PixelWindow;
import io.pirstream.testkit.EmbeddedKafkaBroker;
import io.pirstream.testkit.imagery.TestImagery;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The processor against a broker with Kafka's stock message limit (1 MB; the embedded test broker raises it): a chip
 * over 1 MB, which the chips topic accepts (its own limit is 8 MiB), must pass through the chip buffer's changelog.
 */
class EmbedStockBrokerIT {

    /** Kafka's default {@code message.max.bytes}. */
    private static final String STOCK_MESSAGE_MAX_BYTES = "1048588";

    @Test
    void aChipOverTheBrokersDefaultLimitIsEmbedded(@TempDir Path modelDir, @TempDir Path state) throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder()
                .optConfig("message.max.bytes", STOCK_MESSAGE_MAX_BYTES).build().start();
             PirModel model = TestModels.tiny(modelDir)) {
            Topic<String, Chip> chips = Topics.CHIPS;
            Topic<byte[], DeadLetter> dlq = Topics.DLQ;
            Topic<String, Embedding> embeddings = Topics.embeddings(model.version());
            broker.ensureTopics(List.of(chips, dlq, embeddings));
            Chip large = noiseChip("large", 720); // about 1.5 MB of PNG
            assertThat(large.getImage().remaining()).as("over the stock limit")
                    .isGreaterThan(Integer.parseInt(STOCK_MESSAGE_MAX_BYTES));
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                    ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_MESSAGE_BYTES),
                    new StringSerializer(), new ByteArraySerializer())) {
                EmbeddedStreams.send(producer, chips, large);
                EmbeddedStreams.send(producer, chips, Chips.chip("small", 1));
            }

            ChipEmbedder embedder = new ChipEmbedder(model);
            EmbedMetrics metrics = new EmbedMetrics(new SimpleMeterRegistry());
            try (InferenceQueue inference = new InferenceQueue(embedder, 8, Duration.ofMillis(20), metrics)) {
                var topology = ChipEmbeddingTopology.build(inference, new ChipEmbeddingTopology.Settings(chips,
                        embeddings, dlq, "embed-stock"), metrics);
                try (KafkaStreams streams = new KafkaStreams(topology,
                        EmbedProcessor.streamsConfig(broker.bootstrapServers(), "embed-stock", state, 8, (short) 1))) {
                    streams.start();
                    assertThat(EmbeddedStreams.embeddings(broker, embeddings, 2)).as("both chips embedded")
                            .extracting(r -> r.key()).containsExactlyInAnyOrder("large", "small");
                }
            }
        }
    }

    private static Chip noiseChip(String id, int side) {
        BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        SplittableRandom random = new SplittableRandom(6);
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        return Chip.newBuilder(Chips.chip(id, TestImagery.png(image))).setWidth(side).setHeight(side)
                .setWindow(new PixelWindow(0, 0, side, side)).setSceneWidth(side).setSceneHeight(side).build();
    }
}
