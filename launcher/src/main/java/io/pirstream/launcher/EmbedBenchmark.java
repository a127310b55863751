package io.pirstream.launcher;

import io.pirstream.model.PirModel;
import io.pirstream.model.synth.SyntheticScenes;
import io.pirstream.schemas.Topic;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.Embedding;
import io.pirstream.schemas.avro.ImageFormat;
import io.pirstream.schemas.avro.PixelWindow;
import io.pirstream.schemas.avro.Source;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The embed-processor through Kafka against the model alone, in one run: model-only chips/s (decode + embed in
 * batches), then sustained chips/s of the processor on a backlog (the ratio is the streaming overhead), then
 * freshness (chip produced -> embedding committed) at a steady rate for a sweep of batch size B and wait T.
 */
@Command(name = "bench-embed", mixinStandardHelpOptions = true,
        description = "Measures embed-processor throughput against the model alone, and freshness for a sweep of B and T.")
final class EmbedBenchmark implements Callable<Integer> {

    @Option(names = "--home", description = "Project directory (default: current directory).")
    Path home = Path.of("").toAbsolutePath();

    @Option(names = "--backlog", description = "Chips for the throughput runs (default: ${DEFAULT-VALUE}).")
    int backlog = 512;

    @Option(names = "--rate", description = "Chips per second for the freshness runs (default: ${DEFAULT-VALUE}).")
    int rate = 10;

    @Option(names = "--seconds", description = "Duration of each freshness run (default: ${DEFAULT-VALUE}).")
    int seconds = 15;

    @Option(names = "--sweep", split = ",", description = "B:T pairs for freshness, T in ms (default: ${DEFAULT-VALUE}).")
    List<String> sweep = List.of("1:0", "16:0", "16:20", "16:100", "32:200");

    @Override
    public Integer call() throws Exception {
        List<byte[]> images = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(SyntheticScenes.generate(5_000 + i, 256).image(), "png", out);
            images.add(out.toByteArray());
        }
        System.out.printf("machine: %d cores, JVM %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"));
        double modelOnly;
        try (PirModel model = PirModel.loadDefault()) {
            for (int batch : new int[] {1, 16, 32}) {
                double rateAt = modelOnly(model, images, batch);
                System.out.printf("model only (decode + embed), batch %d: %.1f chips/s%n", batch, rateAt);
            }
            modelOnly = modelOnly(model, images, 16);
        }
        // the model alone used PyTorch's default threads (one per core): so does the processor here
        double streaming = run(images, 16, 20, 0, backlog, 0);
        System.out.printf("embed-processor on a backlog of %d chips (B=16, T=20 ms): %.1f chips/s = %.2f x model-only%n",
                backlog, streaming, streaming / modelOnly);
        for (String pair : sweep) {
            String[] bt = pair.split(":");
            run(images, Integer.parseInt(bt[0]), Integer.parseInt(bt[1]), Stack.sharedMachineModelThreads(),
                    rate * seconds, rate);
        }
        return 0;
    }

    private static double modelOnly(PirModel model, List<byte[]> images, int batch) {
        model.embedImages(images.subList(0, batch)); // warm-up
        int chips = 0;
        long start = System.nanoTime();
        while (System.nanoTime() - start < 10_000_000_000L) {
            for (int i = 0; i + batch <= images.size(); i += batch) {
                model.embedImages(images.subList(i, i + batch));
                chips += batch;
            }
        }
        return chips / ((System.nanoTime() - start) / 1e9);
    }

    /**
     * Runs the processor with batch size B and wait T on {@code count} chips, produced as a backlog (rate 0) or at
     * {@code rate} chips/s; returns chips/s from first produce to last embedding and prints freshness percentiles.
     */
    private double run(List<byte[]> images, int batch, int waitMillis, int threads, int count, int rate) throws Exception {
        Path data = Files.createTempDirectory("pirstream-bench-embed-");
        Stack.Settings settings = new Stack.Settings(home, data, 0, 0, 0, 0, "bench-key-0123456789abcdef",
                data.resolve("drop"), Optional.empty(), EnumSet.of(Stack.Service.EMBED),
                Map.of("PIRSTREAM_EMBED_BATCH_SIZE", String.valueOf(batch),
                        "PIRSTREAM_EMBED_MAX_WAIT", Duration.ofMillis(waitMillis).toString(),
                        "PIRSTREAM_EMBED_THREADS", String.valueOf(threads)));
        String version;
        try (PirModel model = PirModel.loadDefault()) {
            version = model.version();
        }
        Topic<String, Embedding> embeddings = Topics.embeddings(version);
        try (Stack stack = Stack.start(settings);
             KafkaProducer<String, Chip> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker().bootstrapServers(),
                     ProducerConfig.LINGER_MS_CONFIG, 0), Topics.CHIPS.keySerde().serializer(),
                     Topics.CHIPS.valueSerde().serializer());
             KafkaConsumer<String, Embedding> consumer = new KafkaConsumer<>(Map.of(
                     ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker().bootstrapServers(),
                     ConsumerConfig.GROUP_ID_CONFIG, "bench-" + UUID.randomUUID(),
                     ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                     ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                     embeddings.keySerde().deserializer(), embeddings.valueSerde().deserializer())) {
            consumer.subscribe(List.of(embeddings.name()));
            long start = System.nanoTime();
            List<Long> freshness = new ArrayList<>();
            int sent = 0;
            if (rate == 0) { // the whole backlog first, so producing does not compete with embedding
                for (; sent < count; sent++) {
                    producer.send(new ProducerRecord<>(Topics.CHIPS.name(), "bench-" + sent, chip(sent, images)));
                }
                producer.flush();
            }
            long firstEmbedding = 0;
            long lastEmbedding = start;
            while (freshness.size() < count && System.nanoTime() - start < Duration.ofMinutes(5).toNanos()) {
                long due = rate == 0 ? count : Math.min(count, (System.nanoTime() - start) * rate / 1_000_000_000L + 1);
                for (; sent < due; sent++) {
                    producer.send(new ProducerRecord<>(Topics.CHIPS.name(), "bench-" + sent, chip(sent, images)));
                }
                for (var record : consumer.poll(Duration.ofMillis(5))) {
                    long now = System.currentTimeMillis();
                    freshness.add(now - record.value().getCapturedAt().toEpochMilli());
                    lastEmbedding = System.nanoTime();
                    firstEmbedding = firstEmbedding == 0 ? lastEmbedding : firstEmbedding;
                }
            }
            // from the first committed embedding to the last: the processor's own rate, start-up excluded
            double chipsPerSecond = (freshness.size() - 1) / ((lastEmbedding - firstEmbedding) / 1e9);
            long[] sorted = freshness.stream().mapToLong(Long::longValue).sorted().toArray();
            System.out.printf("B=%d T=%d ms, %s: %d chips, %.1f chips/s, freshness p50 %d ms, p99 %d ms%n", batch,
                    waitMillis, rate == 0 ? "backlog" : rate + " chips/s", sorted.length, chipsPerSecond,
                    percentile(sorted, 0.5), percentile(sorted, 0.99));
            return chipsPerSecond;
        }
    }

    /** A chip whose capturedAt is its produce time, so freshness = commit time - capturedAt. */
    private static Chip chip(int i, List<byte[]> images) {
        Instant now = Instant.now();
        return Chip.newBuilder().setChipId("bench-" + i).setSceneId("bench").setImage(ByteBuffer.wrap(images.get(i % images.size())))
                .setFormat(ImageFormat.PNG).setWidth(256).setHeight(256).setWindow(new PixelWindow(0, 0, 256, 256))
                .setSceneWidth(256).setSceneHeight(256).setSource(Source.DRONE).setPlatform("bench")
                .setCapturedAt(now).setIngestedAt(now).build();
    }

    private static long percentile(long[] sorted, double p) {
        return sorted.length == 0 ? -1 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }
}
