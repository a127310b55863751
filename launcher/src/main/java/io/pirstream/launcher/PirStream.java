package io.pirstream.launcher;

import io.pirstream.schemas.TopicAdmin;
import io.pirstream.schemas.Topics;
import io.pirstream.testkit.EmbeddedKafkaBroker;
import io.pirstream.testkit.imagery.TestImagery;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
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
        description = "Runs PIRStream on an embedded Kafka broker: ingest imagery, search it by text.")
public final class PirStream implements Callable<Integer> {

    /** Default client port of the embedded broker. */
    public static final int DEFAULT_KAFKA_PORT = 9092;
    /** Default HTTP port of the ingest service. */
    public static final int DEFAULT_INGEST_PORT = 8081;
    private static final Duration SERVICE_START_TIMEOUT = Duration.ofMinutes(3);

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
        int kafka = kafkaPort == 0 ? freePort() : requireFree(kafkaPort, "--kafka-port");
        int ingest = ingestPort == 0 ? freePort() : requireFree(ingestPort, "--ingest-port");

        List<AutoCloseable> running = new ArrayList<>();
        Thread stopper = new Thread(() -> closeAll(running), "pirstream-shutdown");
        Runtime.getRuntime().addShutdownHook(stopper);

        System.out.println("Starting the embedded Kafka broker on localhost:" + kafka + " ...");
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().optDataDir(data.resolve("kafka")).optPort(kafka)
                .build().start();
        running.add(broker);
        TopicAdmin.Report topics = broker.ensureTopics(Topics.core());
        topics.mismatches().forEach(System.out::println);

        Map<String, String> environment = Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                "PIRSTREAM_INGEST_KEY", apiKey,
                "PIRSTREAM_DROP_FOLDER", dropFolder.toString());
        System.out.println("Starting ingest-service on http://localhost:" + ingest + " ...");
        ServiceProcess ingestService = ServiceProcess.start("ingest-service",
                home.resolve("ingest-service/target/quarkus-app/quarkus-run.jar"), ingest, environment,
                data.resolve("logs"), List.of("-Xmx2g"));
        running.add(ingestService);
        ingestService.awaitReady(SERVICE_START_TIMEOUT);

        printWelcome(broker, ingestService, apiKey, data, dropFolder);
        if (smoke) {
            return smokeTest(broker, ingestService, apiKey);
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
    private static int smokeTest(EmbeddedKafkaBroker broker, ServiceProcess ingest, String apiKey) throws Exception {
        String boundary = "pirstream-" + UUID.randomUUID();
        byte[] frame = TestImagery.png(512, 512, System.nanoTime());
        var body = new java.io.ByteArrayOutputStream();
        String captured = Instant.now().minusSeconds(60).truncatedTo(ChronoUnit.SECONDS).toString();
        for (var field : Map.of("platform", "smoke-test", "capturedAt", captured).entrySet()) {
            body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field.getKey() + "\"\r\n\r\n"
                    + field.getValue() + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"frame.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.write(frame);
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(ingest.baseUrl() + "/v1/frames"))
                .header("Authorization", "Bearer " + apiKey)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(),
                HttpResponse.BodyHandlers.ofString());
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

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void closeAll(List<AutoCloseable> running) {
        for (int i = running.size() - 1; i >= 0; i--) {
            try {
                running.get(i).close();
            } catch (Exception e) {
                System.err.println("Error while stopping: " + e);
            }
        }
    }
}
