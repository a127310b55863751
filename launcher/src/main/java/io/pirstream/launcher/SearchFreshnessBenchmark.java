package io.pirstream.launcher;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
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
        int total = rate * (warmup + seconds);
        int counted = rate * warmup; // uploads before this index are warm-up
        Path data = ScratchFolder.create("pirstream-bench-search-");
        ApiKeys keys = ApiKeys.random();
        Stack.Settings settings = new Stack.Settings(home, data, 0, 0, 0, 0, keys, data.resolve("drop"), Optional.empty(),
                EnumSet.allOf(Stack.Service.class));
        SteadyFrames feed = new SteadyFrames(total, 9_000);
        try (Stack stack = Stack.start(settings); feed) {
            IngestClient ingest = new IngestClient(stack.ingest().baseUrl(), keys.ingest());
            QueryClient query = new QueryClient(stack.query().baseUrl(), keys.analyst());
            Map<String, Upload> pending = new ConcurrentHashMap<>();
            List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Long> warmupLatencies = java.util.Collections.synchronizedList(new ArrayList<>());
            feed.start(ingest, rate, (i, sent, chipId) -> pending.put(chipId, new Upload(i, sent)));
            // poll every pending chip until it is searchable: a sweep every 25 ms, starting FIRST_POLL after upload
            // (no chip has ever been searchable sooner; were one, it would count as FIRST_POLL, erring high). Both
            // keep the observer's own load (a GET per pending chip per sweep, on the same cores) small.
            long deadline = System.nanoTime() + Duration.ofSeconds(warmup + seconds + 60).toNanos();
            while ((!feed.done() || !pending.isEmpty()) && System.nanoTime() < deadline) {
                for (var entry : List.copyOf(pending.entrySet())) {
                    Upload upload = entry.getValue();
                    if (System.nanoTime() - upload.startNanos() >= FIRST_POLL.toNanos() && query.isSearchable(entry.getKey())) {
                        (upload.index() < counted ? warmupLatencies : latencies).add(System.nanoTime() - upload.startNanos());
                        pending.remove(entry.getKey());
                    }
                }
                Thread.sleep(25);
            }
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

    static void printMetrics(String baseUrl, String namePattern) {
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
