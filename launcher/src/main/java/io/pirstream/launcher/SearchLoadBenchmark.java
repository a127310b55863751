package io.pirstream.launcher;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Search under load on the embedded default with every service: {@code n} clients each send {@code /v1/search}
 * back to back (closed loop, text encoding included, every text distinct unless {@code --text-pool} says otherwise),
 * first with nothing else running, then while frames are ingested at a steady rate.
 */
@Command(name = "bench-search-load", mixinStandardHelpOptions = true,
        description = "Measures /v1/search p50/p99 and queries/s at several client counts, idle and while ingesting.")
final class SearchLoadBenchmark implements Callable<Integer> {

    private static final String[] COUNTS = {"many", "some", "a few", "two", "several", "three", "no", "dense", "sparse",
        "scattered", "rows of", "lots of"};
    private static final String[] THINGS = {"buildings", "trees", "cars", "boats", "houses", "storage tanks", "planes",
        "tennis courts", "baseball fields", "ponds", "roads", "bridges", "farmlands", "warehouses", "ships",
        "containers", "parking lots", "swimming pools", "factories", "fields"};
    private static final String[] PLACES = {"near a river", "beside a highway", "in a desert", "along the coast",
        "in a dense forest", "around a stadium", "next to a railway", "on a mountain", "in a residential area",
        "at a port", "in an industrial area", "by a lake", "in a park", "at an airport", "on bare land"};
    private static final String[] LOOKS = {"", " seen from above", " in green surroundings", " with white roofs",
        " under clear sky", " arranged neatly"};

    @Option(names = "--home", description = "Project directory (default: current directory).")
    Path home = Path.of("").toAbsolutePath();

    @Option(names = "--clients", split = ",", description = "Concurrent clients per level (default: ${DEFAULT-VALUE}).")
    List<Integer> clients = List.of(1, 8, 32);

    @Option(names = "--seconds", description = "Measured seconds per level (default: ${DEFAULT-VALUE}).")
    int seconds = 20;

    @Option(names = "--warmup", description = "Seconds at the start of each level left out (default: ${DEFAULT-VALUE}).")
    int warmup = 3;

    @Option(names = "--ingest-rate", description = "Chips (frames) per second ingested in the loaded phase"
            + " (default: ${DEFAULT-VALUE}).")
    int ingestRate = 20;

    @Option(names = "--text-pool", description = "Draw texts from this many (repeats hit the query service's text"
            + " cache); 0: every search a new text (default: ${DEFAULT-VALUE}).")
    int textPool = 0;

    /** What one level measured. */
    private record Level(int clients, boolean ingesting, List<Long> latencies, int busy, int failed, double seconds) {
    }

    @Override
    public Integer call() throws Exception {
        Path data = ScratchFolder.create("pirstream-bench-search-load-");
        ApiKeys keys = ApiKeys.random();
        Stack.Settings settings = new Stack.Settings(home, data, 0, 0, 0, 0, keys, data.resolve("drop"), Optional.empty(),
                EnumSet.allOf(Stack.Service.class));
        int levelSeconds = warmup + seconds;
        SteadyFrames feed = new SteadyFrames(ingestRate * (clients.size() * levelSeconds + 15), 9_000);
        AtomicLong textNumber = new AtomicLong();
        List<Level> levels = new ArrayList<>();
        try (Stack stack = Stack.start(settings); feed) {
            QueryClient query = new QueryClient(stack.query().baseUrl(), keys.analyst());
            for (int i = 0; i < 20; i++) { // JIT and the first model calls
                query.search(text(textNumber.getAndIncrement()), 10);
            }
            for (int n : clients) {
                levels.add(level(query, n, false, textNumber));
            }
            if (ingestRate > 0) {
                AtomicInteger searchable = new AtomicInteger();
                feed.start(new IngestClient(stack.ingest().baseUrl(), keys.ingest()), ingestRate,
                        (index, sent, chipId) -> searchable.incrementAndGet());
                Thread.sleep(10_000); // the embedder's first batches and its JIT
                for (int n : clients) {
                    levels.add(level(query, n, true, textNumber));
                }
                System.out.printf("ingest: %d frames posted at %d/s during the loaded levels, %d refused%n", feed.sent(),
                        ingestRate, feed.refused());
            }
            System.out.println();
            System.out.println("| ingest | clients | searches | searches/s | p50 ms | p99 ms | max ms | 503 busy | failed |");
            System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
            for (Level level : levels) {
                List<Long> sorted = new ArrayList<>(level.latencies());
                Collections.sort(sorted);
                System.out.printf("| %s | %d | %d | %.1f | %.0f | %.0f | %.0f | %d | %d |%n",
                        level.ingesting() ? ingestRate + " chips/s" : "none", level.clients(), sorted.size(),
                        sorted.size() / level.seconds(), IngestBenchmark.percentile(sorted, 0.5) / 1e6,
                        IngestBenchmark.percentile(sorted, 0.99) / 1e6,
                        sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() - 1) / 1e6, level.busy(), level.failed());
            }
            System.out.println("the query service's own figures (batch: texts per model call):");
            SearchFreshnessBenchmark.printMetrics(stack.query().baseUrl(),
                    "pirstream_query_(search|encoding_batch|text_cache)");
            SearchFreshnessBenchmark.printMetrics(stack.embed().baseUrl(), "pirstream_embed_(lag|inference)");
        }
        return 0;
    }

    private Level level(QueryClient query, int n, boolean ingesting, AtomicLong textNumber) throws Exception {
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger busy = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        long start = System.nanoTime();
        long countFrom = start + warmup * 1_000_000_000L;
        long end = countFrom + seconds * 1_000_000_000L;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < n; c++) {
                running.add(pool.submit(() -> {
                    while (System.nanoTime() < end) {
                        long sent = System.nanoTime();
                        HttpResponse<String> response = query.search(text(textNumber.getAndIncrement()), 10);
                        long took = System.nanoTime() - sent;
                        if (sent < countFrom) {
                            continue;
                        }
                        if (response.statusCode() == 200) {
                            latencies.add(took);
                        } else if (response.statusCode() == 503) {
                            busy.incrementAndGet();
                        } else {
                            failed.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> client : running) {
                client.get();
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.printf("%s, %d clients: %d searches%n", ingesting ? "ingesting" : "idle", n, latencies.size());
        return new Level(n, ingesting, latencies, busy.get(), failed.get(), seconds);
    }

    /** The {@code i}-th search text: all distinct up to 21,600, or drawn from the first {@code --text-pool}. */
    private String text(long i) {
        long k = textPool > 0 ? Math.floorMod(i * 7919, textPool) : i;
        String text = COUNTS[(int) (k % COUNTS.length)] + " " + THINGS[(int) (k / COUNTS.length % THINGS.length)] + " "
                + PLACES[(int) (k / (COUNTS.length * THINGS.length) % PLACES.length)]
                + LOOKS[(int) (k / ((long) COUNTS.length * THINGS.length * PLACES.length) % LOOKS.length)];
        long round = k / ((long) COUNTS.length * THINGS.length * PLACES.length * LOOKS.length);
        return round == 0 ? text : text + " " + round; // past the combinations: still distinct
    }
}
