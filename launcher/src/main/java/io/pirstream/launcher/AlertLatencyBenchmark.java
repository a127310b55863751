package io.pirstream.launcher;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Ingest -> alert, end to end on the embedded default with every service: {@code --subscriptions} standing queries
 * are created through the API (one that every chip matches, the rest with texts of their own and a threshold no
 * chip reaches, so each still costs its share of the matrix product), frames are uploaded at a steady rate (one
 * 256 px chip each), and each alert is timed from the start of its upload to its arrival on the client's
 * {@code /v1/alerts/stream}.
 */
@Command(name = "bench-alerts", mixinStandardHelpOptions = true,
        description = "Measures upload -> alert latency (p50/p99) at a steady chip rate with many standing queries.")
final class AlertLatencyBenchmark implements Callable<Integer> {

    private static final Pattern CHIP_ID = Pattern.compile("\"chipId\":\"([0-9a-f]{64})\"");
    private static final List<String> WORDS = List.of("river", "forest", "road", "harbour", "field", "roof", "car",
            "lake", "bridge", "train", "desert", "snow", "parking", "church", "stadium", "farm", "beach", "port");

    @Option(names = "--home", description = "Project directory (default: current directory).")
    Path home = Path.of("").toAbsolutePath();

    @Option(names = "--rate", description = "Chips (frames) per second (default: ${DEFAULT-VALUE}).")
    int rate = 20;

    @Option(names = "--seconds", description = "Duration (default: ${DEFAULT-VALUE}).")
    int seconds = 30;

    @Option(names = "--warmup", description = "Seconds of uploads at the start left out of the figures (default: ${DEFAULT-VALUE}).")
    int warmup = 5;

    @Option(names = "--subscriptions", description = "Standing queries (default: ${DEFAULT-VALUE}).")
    int subscriptions = 1_000;

    @Override
    public Integer call() throws Exception {
        int total = rate * (warmup + seconds);
        int counted = rate * warmup;
        SteadyFrames feed = new SteadyFrames(total, 19_000);
        Path data = ScratchFolder.create("pirstream-bench-alerts-");
        ApiKeys keys = ApiKeys.random();
        Stack.Settings settings = new Stack.Settings(home, data, 0, 0, 0, 0, keys, data.resolve("drop"), Optional.empty(),
                EnumSet.allOf(Stack.Service.class));
        try (Stack stack = Stack.start(settings)) {
            String query = stack.query().baseUrl();
            HttpClient http = HttpClient.newHttpClient();
            long createStart = System.nanoTime();
            Random random = new Random(5);
            for (int s = 0; s < subscriptions; s++) {
                String body = s == 0 ? "{\"text\": \"an aerial view\", \"threshold\": -1}"
                        : "{\"text\": \"" + WORDS.get(random.nextInt(WORDS.size())) + " near a "
                        + WORDS.get(random.nextInt(WORDS.size())) + " number " + s + "\", \"threshold\": 0.999}";
                HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(query + "/v1/subscriptions"))
                        .header("Authorization", "Bearer " + keys.analyst()).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                if (created.statusCode() != 201) {
                    throw new IllegalStateException("subscription " + s + ": HTTP " + created.statusCode() + " " + created.body());
                }
            }
            System.out.printf("%d subscriptions created in %.1f s%n", subscriptions, (System.nanoTime() - createStart) / 1e9);

            Map<String, Long> uploadStart = new ConcurrentHashMap<>();
            Map<String, Integer> uploadIndex = new ConcurrentHashMap<>();
            List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
            List<Long> warmupLatencies = Collections.synchronizedList(new ArrayList<>());
            Map<String, Long> arrived = new ConcurrentHashMap<>();
            AtomicInteger duplicates = new AtomicInteger();
            HttpResponse<Stream<String>> stream = http.send(HttpRequest.newBuilder(URI.create(query + "/v1/alerts/stream"))
                    .header("Authorization", "Bearer " + keys.analyst()).build(), HttpResponse.BodyHandlers.ofLines());
            Thread reader = new Thread(() -> stream.body().forEach(line -> {
                Matcher id = CHIP_ID.matcher(line);
                if (line.startsWith("data:") && id.find()) {
                    if (arrived.putIfAbsent(id.group(1), System.nanoTime()) != null) {
                        duplicates.incrementAndGet();
                    }
                }
            }), "bench-alert-stream");
            reader.setDaemon(true);
            reader.start();

            IngestClient ingest = new IngestClient(stack.ingest().baseUrl(), keys.ingest());
            feed.start(ingest, rate, (i, sent, chipId) -> {
                uploadStart.put(chipId, sent);
                uploadIndex.put(chipId, i);
            });
            long uploadsStarted = System.nanoTime();
            long deadline = System.nanoTime() + Duration.ofSeconds(warmup + seconds + 60).toNanos();
            while ((!feed.done() || !arrived.keySet().containsAll(uploadStart.keySet())) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            feed.close();
            System.out.printf("%d uploads in %.1f s (offered %d/s)%n", uploadStart.size(),
                    (System.nanoTime() - uploadsStarted) / 1e9, rate);
            for (var upload : uploadStart.entrySet()) {
                Long at = arrived.get(upload.getKey());
                if (at != null) {
                    (uploadIndex.get(upload.getKey()) < counted ? warmupLatencies : latencies).add(at - upload.getValue());
                }
            }
            long missing = uploadStart.keySet().stream().filter(id -> !arrived.containsKey(id)).count();
            long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
            System.out.printf("warm-up, %d s: %d alerts (not counted)%n", warmup, warmupLatencies.size());
            System.out.printf("%d chips/s for %d s, %d subscriptions: %d alerts, %d missing, %d duplicates; upload ->"
                            + " alert on the stream p50 %d ms, p99 %d ms, max %d ms%n", rate, seconds, subscriptions,
                    sorted.length, missing, duplicates.get(), percentile(sorted, 0.5) / 1_000_000, percentile(sorted, 0.99) / 1_000_000,
                    sorted.length == 0 ? -1 : sorted[sorted.length - 1] / 1_000_000);
            System.out.println("where the time went (the services' own metrics, seconds):");
            printMetrics(http, stack.embed().baseUrl(), "pirstream_embed_(lag|inference)");
            printMetrics(http, query, "pirstream_alerts_(match|latency|batch_size)");
        }
        return 0;
    }

    private static void printMetrics(HttpClient http, String baseUrl, String namePattern) {
        Pattern wanted = Pattern.compile("^(" + namePattern + ")[a-z_]*\\{.*quantile=.*|^(" + namePattern + ")_(max|count|sum) .*");
        try {
            String body = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/q/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            body.lines().filter(line -> wanted.matcher(line).matches()).forEach(line -> System.out.println("  " + line));
        } catch (java.io.IOException | InterruptedException e) {
            System.out.println("  (metrics of " + baseUrl + " unavailable: " + e.getMessage() + ")");
        }
    }

    private static long percentile(long[] sorted, double p) {
        return sorted.length == 0 ? -1 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }
}
