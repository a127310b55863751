package io.pirstream.launcher;

import io.pirstream.schemas.Topics;
import io.pirstream.testkit.EmbeddedKafkaBroker;
import io.pirstream.testkit.imagery.TestImagery;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Map;
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
 * child JVM, prints how to use them, and stops everything on Ctrl-C.
 */
@Command(name = "pirstream", mixinStandardHelpOptions = true, version = "PIRStream 0.1.0",
        subcommands = IngestBenchmark.class,
        description = "Runs PIRStream on an embedded Kafka broker: ingest imagery, search it by text.")
public final class PirStream implements Callable<Integer> {

    /** Default client port of the embedded broker. */
    public static final int DEFAULT_KAFKA_PORT = 9092;
    /** Default HTTP port of the ingest service. */
    public static final int DEFAULT_INGEST_PORT = 8081;

    @Option(names = "--home", description = "Project directory holding the built services (default: current directory).")
    Path home = Path.of("").toAbsolutePath();

    @Option(names = "--data-dir", description = "Broker data, logs, drop folder and the API key (default: <home>/.pirstream).")
    Path dataDir;

    @Option(names = "--kafka-port", description = "Embedded broker port, 0 for any free port (default: ${DEFAULT-VALUE}).")
    int kafkaPort = DEFAULT_KAFKA_PORT;

    @Option(names = "--ingest-port", description = "Ingest service HTTP port, 0 for any free port (default: ${DEFAULT-VALUE}).")
    int ingestPort = DEFAULT_INGEST_PORT;

    @Option(names = "--smoke", description = "Start everything, post one generated frame, check its chips reach Kafka,"
            + " stop. Exit status 0 when the whole path works.")
    boolean smoke;

    public static void main(String[] args) {
        System.exit(new CommandLine(new PirStream()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path data = dataDir != null ? dataDir : home.resolve(".pirstream");
        Files.createDirectories(data);
        String apiKey = newApiKey(data.resolve("api-key"));
        Path dropFolder = Files.createDirectories(data.resolve("drop"));
        int kafka = kafkaPort == 0 ? 0 : requireFree(kafkaPort, "--kafka-port");
        int ingest = ingestPort == 0 ? 0 : requireFree(ingestPort, "--ingest-port");

        Stack stack = Stack.start(home, data, kafka, ingest, apiKey, dropFolder);
        Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "pirstream-shutdown"));
        EmbeddedKafkaBroker broker = stack.broker();
        ServiceProcess ingestService = stack.ingest();

        printWelcome(broker, ingestService, apiKey, data, dropFolder);
        if (smoke) {
            try (stack) {
                return smokeTest(broker, ingestService, apiKey);
            }
        }
        new CountDownLatch(1).await(); // until Ctrl-C; the shutdown hook stops everything
        return 0;
    }

    private static void printWelcome(EmbeddedKafkaBroker broker, ServiceProcess ingest, String apiKey, Path data,
                                     Path dropFolder) {
        String url = ingest.baseUrl();
        System.out.printf("""

                PIRStream is running.
                  Kafka           %s   (data in %s)
                  ingest-service  %s   (API docs: %s/q/swagger-ui)
                  API key         %s   (role ingest; also in %s)

                Post a drone frame (JPEG or PNG):
                  curl -H "Authorization: Bearer %s" -F image=@frame.jpg -F platform=my-drone \\
                       -F capturedAt=%s -F centre=8.54,47.37 %s/v1/frames
                Post a satellite scene (GeoTIFF, TIFF, JPEG, PNG), cut into 256 px chips:
                  curl -H "Authorization: Bearer %s" -F image=@scene.tif -F platform=sentinel-2a \\
                       -F capturedAt=%s %s/v1/scenes
                Or drop JPEG/PNG frames into %s
                Chips land on the Kafka topic %s; logs are in %s.
                Press Ctrl-C to stop.
                %n""",
                broker.bootstrapServers(), broker.dataDir(), url, url, apiKey, data.resolve("api-key"),
                apiKey, Instant.now().truncatedTo(ChronoUnit.SECONDS), url,
                apiKey, Instant.now().truncatedTo(ChronoUnit.SECONDS), url,
                dropFolder, Topics.CHIPS.name(), data.resolve("logs"));
    }

    /** Posts one generated frame and checks that its four chips were committed to the chips topic. */
    private static int smokeTest(EmbeddedKafkaBroker broker, ServiceProcess ingest, String apiKey) {
        String captured = Instant.now().minusSeconds(60).truncatedTo(ChronoUnit.SECONDS).toString();
        HttpResponse<String> response = new IngestClient(ingest.baseUrl(), apiKey).post("/v1/frames",
                TestImagery.png(512, 512, System.nanoTime()), "frame.png",
                Map.of("platform", "smoke-test", "capturedAt", captured));
        Set<String> chipIds = new HashSet<>();
        Matcher ids = CHIP_ID.matcher(response.body());
        while (ids.find()) {
            chipIds.add(ids.group(1));
        }
        Set<String> committed = committedChipIds(broker, chipIds, Duration.ofSeconds(30));
        boolean ok = response.statusCode() == 200 && chipIds.size() == 4 && committed.equals(chipIds);
        System.out.println((ok ? "SMOKE OK: " : "SMOKE FAILED: ") + "HTTP " + response.statusCode() + ", "
                + chipIds.size() + " chip(s) in the answer, " + committed.size() + " of them committed to "
                + Topics.CHIPS.name() + (ok ? "" : "; answer: " + response.body()));
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

    private static String newApiKey(Path file) throws IOException {
        byte[] secret = new byte[24];
        new SecureRandom().nextBytes(secret);
        String key = "pir_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        Files.writeString(file, key + System.lineSeparator());
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system; the file stays readable by its owner's defaults
        }
        return key;
    }

    private static int requireFree(int port, String option) {
        try (ServerSocket socket = new ServerSocket(port)) {
            return port;
        } catch (IOException e) {
            throw new CommandLine.ParameterException(new CommandLine(new PirStream()), "Port " + port
                    + " is in use (another PIRStream or Kafka?). Stop it, or choose another with " + option + " (0 = any free port)");
        }
    }

}
