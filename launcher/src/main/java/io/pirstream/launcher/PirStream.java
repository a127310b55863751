package io.pirstream.launcher;

import io.pirstream.finetune.FineTuneRound;
import io.pirstream.finetune.FineTuneScheduler;
import io.pirstream.schemas.Topics;
import io.pirstream.testkit.EmbeddedKafkaBroker;
import io.pirstream.testkit.imagery.TestImagery;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The embedded default: starts an embedded KRaft broker, creates the topics, starts every PIRStream service as a
 * child JVM (ingest-service, embed-processor, query-service), feeds a few generated scenes, prints how to use them,
 * and stops everything on Ctrl-C.
 */
@Command(name = "pirstream", mixinStandardHelpOptions = true, version = "PIRStream 0.1.0",
        subcommands = {IngestBenchmark.class, EmbedBenchmark.class, SearchFreshnessBenchmark.class,
            AlertLatencyBenchmark.class, ReindexBenchmark.class, SearchLoadBenchmark.class},
        description = "Runs PIRStream on an embedded Kafka broker: ingest imagery, search it by text.")
public final class PirStream implements Callable<Integer> {

    /** Default client port of the embedded broker. */
    public static final int DEFAULT_KAFKA_PORT = 9092;
    /** Default HTTP port of the ingest service. */
    public static final int DEFAULT_INGEST_PORT = 8081;
    /** Default HTTP port of the embed-processor's health and metrics. */
    public static final int DEFAULT_EMBED_PORT = 8082;
    /** Default HTTP port of the query service. */
    public static final int DEFAULT_QUERY_PORT = 8083;

    @Option(names = "--home", description = "Project directory holding the built services (default: current directory).")
    Path home = Path.of("").toAbsolutePath();

    @Option(names = "--data-dir", description = "Broker data, logs, drop folder and the API key (default: <home>/.pirstream).")
    Path dataDir;

    @Option(names = "--kafka-port", description = "Embedded broker port, 0 for any free port (default: ${DEFAULT-VALUE}).")
    int kafkaPort = DEFAULT_KAFKA_PORT;

    @Option(names = "--ingest-port", description = "Ingest service HTTP port, 0 for any free port (default: ${DEFAULT-VALUE}).")
    int ingestPort = DEFAULT_INGEST_PORT;

    @Option(names = "--embed-port", description = "Embed-processor health/metrics port, 0 for any (default: ${DEFAULT-VALUE}).")
    int embedPort = DEFAULT_EMBED_PORT;

    @Option(names = "--query-port", description = "Query service HTTP port, 0 for any free port (default: ${DEFAULT-VALUE}).")
    int queryPort = DEFAULT_QUERY_PORT;

    @Option(names = "--checkpoint", description = "PIR checkpoint folder (default: the shipped model).")
    Path checkpoint;

    @Option(names = "--fine-tune-every", description = "Run a fine-tune round in the background once this many new"
            + " feedback records have arrived; 0: never (default: ${DEFAULT-VALUE}).")
    int fineTuneEvery = FineTuneScheduler.DEFAULT_EVERY_NEW_FEEDBACK;

    @Option(names = "--demo-feed", description = "Generated aerial scenes with known captions to post at start, so there is"
            + " something to search (default: ${DEFAULT-VALUE}; 0 disables).")
    int demoFeed = 14;

    @Option(names = "--smoke", description = "Start everything, post one generated frame, check that its chips reach"
            + " Kafka and become searchable, stop. Exit status 0 when the whole path works.")
    boolean smoke;

    public static void main(String[] args) {
        // the model is loaded from the classpath only; PyTorch is extracted once into a shared cache
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        System.setProperty("ENGINE_CACHE_DIR", System.getProperty("ENGINE_CACHE_DIR",
                Path.of(System.getProperty("user.home"), ".pirstream", "djl").toString()));
        System.exit(new CommandLine(new PirStream()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path data = dataDir != null ? dataDir : home.resolve(".pirstream");
        Files.createDirectories(data);
        Path keyFolder = data.resolve("keys");
        ApiKeys keys = ApiKeys.load(keyFolder);
        Path dropFolder = Files.createDirectories(data.resolve("drop"));
        Stack.Settings settings = new Stack.Settings(home, data, requireFree(kafkaPort, "--kafka-port"),
                requireFree(ingestPort, "--ingest-port"), requireFree(embedPort, "--embed-port"),
                requireFree(queryPort, "--query-port"), keys, dropFolder, Optional.ofNullable(checkpoint),
                java.util.EnumSet.allOf(Stack.Service.class), webhookEnvironment(keyFolder));

        Stack stack = Stack.start(settings);
        Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "pirstream-shutdown"));
        if (smoke) {
            try (stack) {
                return smokeTest(stack, keys);
            }
        }
        if (fineTuneEvery > 0) {
            startFineTuning(stack, data);
        }
        printWelcome(stack, keyFolder, data, dropFolder);
        System.out.printf("""
                Feedback (POST /v1/feedback) trains the next model: %s; then list, promote
                and roll back model releases with ./pir-admin releases | promote <version> | rollback | progress --watch
                %n""", fineTuneEvery > 0 ? "a fine-tune round runs every " + fineTuneEvery + " new records (log in "
                + data.resolve("logs/finetune.log") + ")" : "fine-tuning is off (--fine-tune-every 0)");
        if (demoFeed > 0) {
            DemoFeed.post(new IngestClient(stack.ingest().baseUrl(), keys.ingest()), demoFeed);
        }
        new CountDownLatch(1).await(); // until Ctrl-C; the shutdown hook stops everything
        return 0;
    }

    /**
     * The fine-tune job, in this JVM: a round once {@code --fine-tune-every} new feedback records have arrived (or a
     * day has passed with new feedback), each publishing a CANDIDATE or REFUSED release that {@code ./pir-admin}
     * lists and promotes. Its log goes to {@code <data>/logs/finetune.log}, its progress to {@code finetune.json}.
     */
    private void startFineTuning(Stack stack, Path data) throws IOException {
        Path logs = Files.createDirectories(data.resolve("logs"));
        java.io.PrintStream log = new java.io.PrintStream(Files.newOutputStream(logs.resolve("finetune.log"),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND), true,
                java.nio.charset.StandardCharsets.UTF_8);
        FineTuneRound.Settings settings = FineTuneRound.Settings.of(Map.of("bootstrap.servers",
                stack.broker().bootstrapServers()), data.resolve("models")).withBaseCheckpoint(checkpoint)
                .withReport(data.resolve("finetune.json")).withLog(log);
        FineTuneScheduler scheduler = FineTuneScheduler.start(settings, fineTuneEvery, Duration.ofDays(1),
                FineTuneScheduler.DEFAULT_CHECK_EVERY);
        Runtime.getRuntime().addShutdownHook(new Thread(scheduler::close, "pirstream-finetune-shutdown"));
    }

    /**
     * Webhooks on the embedded default: a signing key kept with the API keys (so secrets handed out stay valid
     * across restarts), and receivers on this machine allowed, since everything runs on one.
     */
    static Map<String, String> webhookEnvironment(Path keyFolder) throws IOException {
        return Map.of("PIRSTREAM_WEBHOOK_SIGNING_KEY", ApiKeys.secret(keyFolder, "webhook"),
                "PIRSTREAM_WEBHOOK_ALLOW_LOOPBACK", "true");
    }

    /** How to use it; the keys are named by their files, never printed, so they stay out of terminals and logs. */
    private static void printWelcome(Stack stack, Path keys, Path data, Path dropFolder) {
        String ingest = stack.ingest().baseUrl();
        String query = stack.query().baseUrl();
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        System.out.printf("""

                PIRStream is running.
                  Kafka            %s   (data in %s)
                  ingest-service   %s   (API: %s/q/swagger-ui)
                  embed-processor  %s/q/health, /q/metrics (this machine only)
                  query-service    %s   (API: %s/q/swagger-ui)
                  web console      %s/   (sign in with the analyst key)
                  API keys         one per role, readable by you only: %s/{ingest,analyst,operator}

                Search by describing what you look for:
                  curl -H "Authorization: Bearer $(cat %s/analyst)" -H "Content-Type: application/json" \\
                       -d '{"text": "a river through green fields", "k": 5}' %s/v1/search
                Watch for new imagery matching a description, and follow the alerts (server-sent events):
                  curl -H "Authorization: Bearer $(cat %s/analyst)" -H "Content-Type: application/json" \\
                       -d '{"text": "a river through green fields", "threshold": 0.3}' %s/v1/subscriptions
                  curl -N -H "Authorization: Bearer $(cat %s/analyst)" %s/v1/alerts/stream
                Post a drone frame (JPEG or PNG), cut into 256 px chips and searchable a moment later:
                  curl -H "Authorization: Bearer $(cat %s/ingest)" -F image=@frame.jpg -F platform=my-drone \\
                       -F capturedAt=%s -F centre=8.54,47.37 %s/v1/frames
                Post a satellite scene (GeoTIFF, TIFF, JPEG, PNG):
                  curl -H "Authorization: Bearer $(cat %s/ingest)" -F image=@scene.tif -F platform=sentinel-2a \\
                       -F capturedAt=%s %s/v1/scenes
                Or drop JPEG/PNG frames into %s (scenes into its scenes/ folder)
                Logs are in %s; a service that fails is restarted (the [supervisor] lines here). Press Ctrl-C to stop.
                %n""",
                stack.broker().bootstrapServers(), stack.broker().dataDir(), ingest, ingest, stack.embed().baseUrl(),
                query, query, query, keys,
                keys, query,
                keys, query, keys, query,
                keys, now, ingest,
                keys, now, ingest,
                dropFolder, data.resolve("logs"));
    }

    /**
     * Posts one generated frame, checks that its four chips were committed to the chips topic, then that each
     * becomes searchable in the query service and a text search answers.
     */
    private static int smokeTest(Stack stack, ApiKeys keys) {
        String captured = Instant.now().minusSeconds(60).truncatedTo(ChronoUnit.SECONDS).toString();
        long start = System.nanoTime();
        HttpResponse<String> response = new IngestClient(stack.ingest().baseUrl(), keys.ingest()).post("/v1/frames",
                TestImagery.png(512, 512, System.nanoTime()), "frame.png",
                Map.of("platform", "smoke-test", "capturedAt", captured));
        Set<String> chipIds = new HashSet<>();
        Matcher ids = CHIP_ID.matcher(response.body());
        while (ids.find()) {
            chipIds.add(ids.group(1));
        }
        Set<String> committed = committedChipIds(stack.broker(), chipIds, Duration.ofSeconds(30));
        QueryClient query = new QueryClient(stack.query().baseUrl(), keys.analyst());
        Set<String> searchable = query.awaitSearchable(chipIds, Duration.ofSeconds(60));
        long millis = (System.nanoTime() - start) / 1_000_000;
        HttpResponse<String> search = query.search("a generated test frame", 4);
        boolean ok = response.statusCode() == 200 && chipIds.size() == 4 && committed.equals(chipIds)
                && searchable.equals(chipIds) && search.statusCode() == 200 && search.body().contains("\"count\":4");
        System.out.println((ok ? "SMOKE OK: " : "SMOKE FAILED: ") + "HTTP " + response.statusCode() + ", "
                + chipIds.size() + " chip(s) in the answer, " + committed.size() + " committed to "
                + Topics.CHIPS.name() + ", " + searchable.size() + " searchable after " + millis + " ms; search HTTP "
                + search.statusCode() + (ok ? "" : "; answers: " + response.body() + " / " + search.body()));
        return ok ? 0 : 1;
    }

    private static final Pattern CHIP_ID = Pattern.compile("\"chipId\":\"([0-9a-f]{64})\"");

    /** The subset of {@code wanted} found on the chips topic by a read-committed consumer within the timeout. */
    private static Set<String> committedChipIds(EmbeddedKafkaBroker broker, Set<String> wanted, Duration timeout) {
        Set<String> found = new HashSet<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.GROUP_ID_CONFIG, "pirstream-smoke-" + UUID.randomUUID()),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.CHIPS.name()));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!found.containsAll(wanted) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(record -> {
                    if (wanted.contains(record.key())) {
                        found.add(record.key());
                    }
                });
            }
        }
        return found;
    }

    private static int requireFree(int port, String option) {
        if (port == 0) {
            return 0;
        }
        try (ServerSocket socket = new ServerSocket(port)) {
            return port;
        } catch (IOException e) {
            throw new CommandLine.ParameterException(new CommandLine(new PirStream()), "Port " + port
                    + " is in use (another PIRStream or Kafka?). Stop it, or choose another with " + option + " (0 = any free port)");
        }
    }

}
