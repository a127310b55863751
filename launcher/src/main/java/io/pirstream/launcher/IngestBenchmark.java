package io.pirstream.launcher;

import io.pirstream.testkit.imagery.TestImagery;
import java.awt.image.BufferedImage;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Ingest throughput through the whole path (HTTP upload, decode, tiling, PNG chips, one Kafka transaction per
 * upload) on the embedded default: a large GeoTIFF scene, then a stream of small drone frames.
 */
@Command(name = "bench-ingest", mixinStandardHelpOptions = true,
        description = "Measures ingest throughput (chips/s, MB/s) for a large scene and a stream of frames.")
final class IngestBenchmark implements Callable<Integer> {

    private static final Pattern CHIP_COUNT = Pattern.compile("\"chipCount\":(\\d+)");

    @Option(names = "--home", description = "Project directory (default: current directory).")
    Path home = Path.of("").toAbsolutePath();

    @Option(names = "--scene-size", description = "Side of the square scene in pixels (default: ${DEFAULT-VALUE}).")
    int sceneSize = 10_000;

    @Option(names = "--scene-runs", description = "Timed scene uploads after one warm-up (default: ${DEFAULT-VALUE}).")
    int sceneRuns = 2;

    @Option(names = "--frame-size", description = "Side of each frame in pixels (default: ${DEFAULT-VALUE}).")
    int frameSize = 256;

    @Option(names = "--frame-seconds", description = "Duration of the frame stream (default: ${DEFAULT-VALUE}).")
    int frameSeconds = 20;

    @Option(names = "--clients", description = "Concurrent frame uploaders (default: ${DEFAULT-VALUE}).")
    int clients = 4;

    @Override
    public Integer call() throws Exception {
        Path data = ScratchFolder.create("pirstream-bench-");
        ApiKeys keys = ApiKeys.random();
        // the ingest service alone: an embedder running beside it would take CPU from what is measured
        Stack.Settings settings = new Stack.Settings(home, data, 0, 0, 0, 0, keys,
                Files.createDirectories(data.resolve("drop")), java.util.Optional.empty(),
                java.util.EnumSet.of(Stack.Service.INGEST));
        try (Stack stack = Stack.start(settings)) {
            IngestClient client = new IngestClient(stack.ingest().baseUrl(), keys.ingest());
            System.out.printf("machine: %d cores, %s %s, JVM %s%n", Runtime.getRuntime().availableProcessors(),
                    System.getProperty("os.name"), System.getProperty("os.arch"), System.getProperty("java.version"));
            scene(client);
            frames(client);
        }
        return 0;
    }

    private void scene(IngestClient client) {
        BufferedImage image = TestImagery.image(sceneSize, sceneSize, 1);
        byte[] tiff = TestImagery.geoTiff(image, 10.0, 50.0, 1e-5, 1e-5);
        Map<String, String> fields = Map.of("platform", "bench-sat", "capturedAt", captured());
        for (int run = 0; run <= sceneRuns; run++) {
            long start = System.nanoTime();
            HttpResponse<String> response = client.post("/v1/scenes", tiff, "scene.tif", fields);
            double seconds = (System.nanoTime() - start) / 1e9;
            int chips = chipCount(response);
            System.out.printf("scene %dx%d GeoTIFF (%.0f MB) %s: %d chips in %.2f s = %.1f chips/s, %.1f MB/s in%n",
                    sceneSize, sceneSize, tiff.length / 1e6, run == 0 ? "warm-up" : "run " + run, chips, seconds,
                    chips / seconds, tiff.length / 1e6 / seconds);
        }
    }

    private void frames(IngestClient client) throws Exception {
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            frames.add(TestImagery.jpeg(frameSize, frameSize, 1000 + i));
        }
        Map<String, String> fields = Map.of("platform", "bench-drone", "capturedAt", captured());
        AtomicLong chips = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        long warmupEnd = System.nanoTime() + 3_000_000_000L;
        long end = warmupEnd + frameSeconds * 1_000_000_000L;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<?>> workers = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int offset = c;
            workers.add(pool.submit(() -> {
                for (int i = offset; System.nanoTime() < end; i += clients) {
                    byte[] frame = frames.get(i % frames.size());
                    long start = System.nanoTime();
                    HttpResponse<String> response = client.post("/v1/frames", frame, "frame.jpg", fields);
                    if (start > warmupEnd) {
                        latencies.add(System.nanoTime() - start);
                        chips.addAndGet(chipCount(response));
                        bytes.addAndGet(frame.length);
                    }
                }
                return null;
            }));
        }
        for (Future<?> worker : workers) {
            worker.get();
        }
        pool.shutdown();
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        System.out.printf("frames %dx%d JPEG, %d clients, %d s: %d frames, %.1f chips/s, %.2f MB/s in,"
                        + " latency p50 %.1f ms, p99 %.1f ms%n", frameSize, frameSize, clients, frameSeconds,
                sorted.size(), chips.get() / (double) frameSeconds, bytes.get() / 1e6 / frameSeconds,
                percentile(sorted, 0.50) / 1e6, percentile(sorted, 0.99) / 1e6);
    }

    private static int chipCount(HttpResponse<String> response) {
        Matcher matcher = CHIP_COUNT.matcher(response.body());
        if (response.statusCode() != 200 || !matcher.find()) {
            throw new IllegalStateException("upload failed: HTTP " + response.statusCode() + " " + response.body());
        }
        return Integer.parseInt(matcher.group(1));
    }

    /** The nearest-rank percentile of sorted values (NaN when there are none); the benchmarks' one definition. */
    static double percentile(List<Long> sorted, double p) {
        return sorted.isEmpty() ? Double.NaN : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }

    private static String captured() {
        return Instant.now().minusSeconds(60).truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
