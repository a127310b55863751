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
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
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
 * The embed-processor through Kafka against the model alone, in one run: model-only chips/s (pre-decoded pixels in
 * batches), then sustained chips/s of the processor on a backlog, paired round by round with the model alone (the
 * ratio is the streaming overhead), then freshness (chip produced -> embedding committed) at a steady rate for a
 * sweep of batch size B and wait T.
 *
 * <p>Every processor is warmed up first with a backlog that is waited for and not counted, so the figures are its
 * steady state rather than its JVM compiling the hot paths (measured: the JIT took a quarter of the CPU in the first
 * 20 s of a cold processor).
 */
@Command(name = "bench-embed", mixinStandardHelpOptions = true,
        description = "Measures embed-processor throughput against the model alone, and freshness for a sweep of B and T.")
final class EmbedBenchmark implements Callable<Integer> {

    @Option(names = "--home", description = "Project directory (default: current directory).")
    Path home = Path.of("").toAbsolutePath();

    @Option(names = "--warmup", description = "Chips embedded before each measurement, not counted (default: ${DEFAULT-VALUE}).")
    int warmup = 2048;

    @Option(names = "--backlog", description = "Chips per throughput round (default: ${DEFAULT-VALUE}).")
    int backlog = 2048;

    @Option(names = "--rounds", description = "Throughput rounds, each paired with a model-only run (default: ${DEFAULT-VALUE}).")
    int rounds = 3;

    @Option(names = "--backlog-threads", description = "PyTorch threads of the processor for the throughput rounds "
            + "(default: ${DEFAULT-VALUE}: the processor's own default, one per core but one; the model-only runs "
            + "use PyTorch's, one per core: each as it runs best).")
    int backlogThreads = 0;

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
        try (PirModel model = PirModel.loadDefault()) {
            // the model alone on pre-decoded batches: the processor's ceiling (decoding is its own work)
            List<byte[]> pixels = images.stream().map(b -> model.pixels(io.pirstream.model.data.ImageCodec.decode(b))).toList();
            for (int batch : new int[] {1, 16, 32}) {
                System.out.printf("model only (pre-decoded), batch %d: %.1f chips/s%n", batch, modelOnly(model, pixels, batch));
            }
            // the machine is shared and its speed drifts: each round compares the processor on a backlog with the
            // model alone measured right before it, while the processor idles
            List<Double> ratios = new ArrayList<>();
            try (Processor processor = Processor.start(home, 16, 20, backlogThreads, model.version(), images)) {
                processor.embed(warmup, 0);
                for (int round = 1; round <= rounds; round++) {
                    double alone = modelOnly(model, pixels, 16);
                    double streaming = processor.embed(backlog, 0).chipsPerSecond();
                    ratios.add(streaming / alone);
                    System.out.printf("round %d: model only %.1f chips/s, embed-processor on a backlog of %d chips "
                            + "(B=16, T=20 ms) %.1f chips/s = %.2f x model-only%n", round, alone, backlog, streaming,
                            streaming / alone);
                }
            }
            Collections.sort(ratios);
            System.out.printf("embed-processor / model-only: median %.2f (min %.2f, max %.2f) over %d rounds%n",
                    ratios.get(ratios.size() / 2), ratios.get(0), ratios.get(ratios.size() - 1), ratios.size());
            for (String pair : sweep) {
                String[] bt = pair.split(":");
                int batch = Integer.parseInt(bt[0]);
                int waitMillis = Integer.parseInt(bt[1]);
                try (Processor processor = Processor.start(home, batch, waitMillis, Stack.sharedMachineModelThreads(),
                        model.version(), images)) {
                    processor.embed(warmup, 0);
                    long[] sorted = processor.embed(rate * seconds, rate).freshness().stream()
                            .mapToLong(Long::longValue).sorted().toArray();
                    System.out.printf("B=%d T=%d ms, %d chips/s: %d chips, freshness p50 %d ms, p99 %d ms%n", batch,
                            waitMillis, rate, sorted.length, percentile(sorted, 0.5), percentile(sorted, 0.99));
                }
            }
        }
        return 0;
    }

    private static double modelOnly(PirModel model, List<byte[]> pixels, int batch) {
        model.embedPixels(pixels.subList(0, batch)); // warm-up
        int chips = 0;
        long start = System.nanoTime();
        while (System.nanoTime() - start < 10_000_000_000L) {
            for (int i = 0; i + batch <= pixels.size(); i += batch) {
                model.embedPixels(pixels.subList(i, i + batch));
                chips += batch;
            }
        }
        return chips / ((System.nanoTime() - start) / 1e9);
    }

    /** The embeddings of chips produced in one go: their freshness, and chips/s from the first to the last. */
    private record Phase(List<Long> freshness, double chipsPerSecond) {
    }

    /** An embed-processor on its own embedded broker, with a producer of chips and a consumer of its embeddings. */
    private static final class Processor implements AutoCloseable {
        private final Stack stack;
        private final KafkaProducer<String, Chip> producer;
        private final KafkaConsumer<String, Embedding> consumer;
        private final List<byte[]> images;
        private int produced;

        private Processor(Stack stack, String modelVersion, List<byte[]> images) {
            this.stack = stack;
            this.images = images;
            Topic<String, Embedding> embeddings = Topics.embeddings(modelVersion);
            this.producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker().bootstrapServers(),
                    ProducerConfig.LINGER_MS_CONFIG, 0), Topics.CHIPS.keySerde().serializer(),
                    Topics.CHIPS.valueSerde().serializer());
            this.consumer = new KafkaConsumer<>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker().bootstrapServers(),
                    ConsumerConfig.GROUP_ID_CONFIG, "bench-" + UUID.randomUUID(),
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                    embeddings.keySerde().deserializer(), embeddings.valueSerde().deserializer());
            consumer.subscribe(List.of(embeddings.name()));
        }

        /** Starts a processor with batch size B, wait T and the given PyTorch threads (0: the processor's default). */
        static Processor start(Path home, int batch, int waitMillis, int threads, String modelVersion,
                               List<byte[]> images) throws Exception {
            Path data = ScratchFolder.create("pirstream-bench-embed-");
            Stack.Settings settings = new Stack.Settings(home, data, 0, 0, 0, 0, ApiKeys.random(),
                    data.resolve("drop"), Optional.empty(), EnumSet.of(Stack.Service.EMBED),
                    Map.of("PIRSTREAM_EMBED_BATCH_SIZE", String.valueOf(batch),
                            "PIRSTREAM_EMBED_MAX_WAIT", Duration.ofMillis(waitMillis).toString(),
                            "PIRSTREAM_EMBED_THREADS", String.valueOf(threads)));
            return new Processor(Stack.start(settings), modelVersion, images);
        }

        /** Produces {@code count} chips (all at once when rate is 0, else at rate chips/s) and waits for their embeddings. */
        Phase embed(int count, int rate) {
            long start = System.nanoTime();
            List<Long> freshness = new ArrayList<>();
            int sent = 0;
            if (rate == 0) { // the whole backlog first, so producing does not compete with embedding
                for (; sent < count; sent++) {
                    send();
                }
                producer.flush();
            }
            long firstEmbedding = 0;
            long lastEmbedding = start;
            while (freshness.size() < count && System.nanoTime() - start < Duration.ofMinutes(5).toNanos()) {
                long due = rate == 0 ? count : Math.min(count, (System.nanoTime() - start) * rate / 1_000_000_000L + 1);
                for (; sent < due; sent++) {
                    send();
                }
                for (var record : consumer.poll(Duration.ofMillis(5))) {
                    freshness.add(System.currentTimeMillis() - record.value().getCapturedAt().toEpochMilli());
                    lastEmbedding = System.nanoTime();
                    firstEmbedding = firstEmbedding == 0 ? lastEmbedding : firstEmbedding;
                }
            }
            if (freshness.size() < count) {
                throw new IllegalStateException("only " + freshness.size() + " of " + count + " embeddings within 5 minutes");
            }
            // from the first committed embedding to the last: the processor's own rate, start-up excluded
            return new Phase(freshness, (freshness.size() - 1) / ((lastEmbedding - firstEmbedding) / 1e9));
        }

        /** Sends the next chip, its capturedAt its produce time, so freshness = commit time - capturedAt. */
        private void send() {
            int i = produced++;
            Instant now = Instant.now();
            Chip chip = Chip.newBuilder().setChipId("bench-" + i).setSceneId("bench")
                    .setImage(ByteBuffer.wrap(images.get(i % images.size()))).setFormat(ImageFormat.PNG)
                    .setWidth(256).setHeight(256).setWindow(new PixelWindow(0, 0, 256, 256))
                    .setSceneWidth(256).setSceneHeight(256).setSource(Source.DRONE).setPlatform("bench")
                    .setCapturedAt(now).setIngestedAt(now).build();
            producer.send(new ProducerRecord<>(Topics.CHIPS.name(), chip.getChipId(), chip));
        }

        @Override
        public void close() {
            consumer.close();
            producer.close();
            stack.close();
        }
    }

    private static long percentile(long[] sorted, double p) {
        return sorted.length == 0 ? -1 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }
}
