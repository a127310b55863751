package io.pirstream.launcher;

import io.pirstream.model.synth.SyntheticScenes;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Ingest -> searchable, end to end on the embedded default with every service: frames are uploaded at a steady
 * rate (one 256 px chip each) and each chip's id is polled on the query service until it is searchable.
 */
@Command(name = "bench-search", mixinStandardHelpOptions = true,
        description = "Measures upload -> searchable latency (p50/p99) at a steady chip rate through all services.")
final class SearchFreshnessBenchmark implements Callable<Integer> {

    private static final Duration FIRST_POLL = Duration.ofMillis(200);
    private static final Pattern CHIP_ID = Pattern.compile("\"chipId\":\"([0-9a-f]{64})\"");

    /** The {@code index}-th upload (warm-up when below the counted ones), sent at {@code startNanos}. */
    private record Upload(int index, long startNanos) {
    }

    @Option(names = "--home", description = "Project directory (default: current directory).")
    Path home = Path.of("").toAbsolutePath();

    @Option(names = "--rate", description = "Chips (frames) per second (default: ${DEFAULT-VALUE}).")
    int rate = 20;

    @Option(names = "--seconds", description = "Duration (default: ${DEFAULT-VALUE}).")
    int seconds = 30;

    @Option(names = "--warmup", description = "Seconds of uploads at the start left out of the figures: JIT"
            + " compilation and first model calls (default: ${DEFAULT-VALUE}).")
    int warmup = 5;

    @Override
    public Integer call() throws Exception {
        // every frame distinct (chip ids hash the content): a repeated frame would be searchable at once
        int total = rate * (warmup + seconds);
        int counted = rate * warmup; // uploads before this index are warm-up
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            var image = SyntheticScenes.generate(9_000 + i % 50, 256).image();
            image.setRGB(0, 0, i);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(image, "png", out);
            frames.add(out.toByteArray());
        }
        Path data = Files.createTempDirectory("pirstream-bench-search-");
        ApiKeys keys = ApiKeys.random();
        Stack.Settings settings = new Stack.Settings(home, data, 0, 0, 0, 0, keys, data.resolve("drop"), Optional.empty(),
                EnumSet.allOf(Stack.Service.class));
        try (Stack stack = Stack.start(settings)) {
            IngestClient ingest = new IngestClient(stack.ingest().baseUrl(), keys.ingest());
            QueryClient query = new QueryClient(stack.query().baseUrl(), keys.analyst());
            Map<String, Upload> pending = new ConcurrentHashMap<>();
            List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Long> warmupLatencies = java.util.Collections.synchronizedList(new ArrayList<>());
            ScheduledExecutorService uploaders = Executors.newScheduledThreadPool(4);
            java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
            uploaders.scheduleAtFixedRate(() -> {
                int i = next.getAndIncrement();
                if (i >= total) {
                    return;
                }
                long start = System.nanoTime();
                HttpResponse<String> response = ingest.post("/v1/frames", frames.get(i), "f.png",
                        Map.of("platform", "bench-" + i, "capturedAt",
                                Instant.now().minusSeconds(5).truncatedTo(ChronoUnit.SECONDS).toString()));
                Matcher id = CHIP_ID.matcher(response.body());
                if (response.statusCode() == 200 && id.find()) {
                    pending.put(id.group(1), new Upload(i, start));
                }
            }, 0, 1_000_000 / rate, TimeUnit.MICROSECONDS);
            // poll every pending chip until it is searchable: a sweep every 25 ms, starting FIRST_POLL after upload
            // (no chip has ever been searchable sooner; were one, it would count as FIRST_POLL, erring high). Both
            // keep the observer's own load (a GET per pending chip per sweep, on the same cores) small.
            long deadline = System.nanoTime() + Duration.ofSeconds(warmup + seconds + 60).toNanos();
            while ((next.get() < total || !pending.isEmpty()) && System.nanoTime() < deadline) {
                for (var entry : List.copyOf(pending.entrySet())) {
                    Upload upload = entry.getValue();
                    if (System.nanoTime() - upload.startNanos() >= FIRST_POLL.toNanos() && query.isSearchable(entry.getKey())) {
                        (upload.index() < counted ? warmupLatencies : latencies).add(System.nanoTime() - upload.startNanos());
                        pending.remove(entry.getKey());
                    }
                }
                Thread.sleep(25);
            }
            uploaders.shutdownNow();
            long[] warm = warmupLatencies.stream().mapToLong(Long::longValue).sorted().toArray();
            long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
            System.out.printf("warm-up, %d s: %d chips, upload -> searchable p50 %d ms, max %d ms (not counted)%n", warmup,
                    warm.length, percentile(warm, 0.5) / 1_000_000, warm.length == 0 ? -1 : warm[warm.length - 1] / 1_000_000);
            System.out.printf("%d chips/s for %d s through ingest, embed, index: %d searchable, %d not; upload ->"
                            + " searchable p50 %d ms, p99 %d ms, max %d ms%n", rate, seconds, sorted.length,
                    pending.size(), percentile(sorted, 0.5) / 1_000_000, percentile(sorted, 0.99) / 1_000_000,
                    sorted.length == 0 ? -1 : sorted[sorted.length - 1] / 1_000_000);
            System.out.println("where the time went (the services' own metrics, seconds):");
            printMetrics(stack.embed().baseUrl(), "pirstream_embed_(lag|inference|batch_size)");
            printMetrics(stack.query().baseUrl(), "pirstream_query_freshness");
        }
        return 0;
    }

    private static void printMetrics(String baseUrl, String namePattern) {
        Pattern wanted = Pattern.compile("^(" + namePattern + ")[a-z_]*\\{.*quantile=.*|^(" + namePattern + ")_(max|count|sum) .*");
        try {
            String body = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(baseUrl + "/q/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            body.lines().filter(line -> wanted.matcher(line).matches()).forEach(line -> System.out.println("  " + line));
        } catch (java.io.IOException | InterruptedException e) {
            System.out.println("  (metrics of " + baseUrl + " unavailable: " + e.getMessage() + ")");
        }
    }

    private static long percentile(long[] sorted, double p) {
        return sorted.length == 0 ? -1 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }
}
