package io.pirstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import io.pirstream.model.synth.SyntheticScenes;
import io.pirstream.testkit.ContainerEngine;
import io.pirstream.testkit.RequiresContainerEngine;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.testcontainers.DockerClientFactory;

/**
 * deploy/compose.yaml on the container engine, with the images the build just made (profile images): a frame posted
 * to the ingest API is found by its description through the query API, and a service whose process is killed is
 * started again by its restart policy and serves again. Skipped, with the reason, without an engine, a compose
 * command or the images; with {@code PIRSTREAM_REQUIRE_CONTAINERS=true} (CI) each of those fails instead.
 */
@RequiresContainerEngine
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ComposeStackIT {

    private static final Path COMPOSE_FILE = ServiceContract.ROOT.resolve("deploy/compose.yaml");
    private static final Pattern CHIP_ID = Pattern.compile("\"chipId\":\"([0-9a-f]{64})\"");
    /** First start on a loaded 2-core machine: Kafka, three JVMs, PyTorch's library extracted, the model loaded. */
    private static final Duration START_TIMEOUT = Duration.ofMinutes(8);
    private static final Duration SEARCHABLE_TIMEOUT = Duration.ofMinutes(3);

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Map<String, String> KEYS = Map.of("PIRSTREAM_INGEST_KEY", randomKey(),
            "PIRSTREAM_ANALYST_KEY", randomKey(), "PIRSTREAM_OPERATOR_KEY", randomKey(),
            "PIRSTREAM_WEBHOOK_SIGNING_KEY", randomKey());

    private static ComposeCli compose;
    private static String ingestUrl;
    private static String queryUrl;
    private static String firstChip;

    @BeforeAll
    static void startStack() throws IOException {
        if (!ContainerEngine.available()) {
            return; // @RequiresContainerEngine skips (or fails) each test with the reason
        }
        if (!Boolean.getBoolean("pirstream.images")) {
            unavailable("the service images are built by the images profile: ./mvnw -Pimages verify");
        }
        List<String> command = ComposeCli.find().orElse(null);
        if (command == null) {
            unavailable("no compose command (docker compose, docker-compose or podman-compose) on the PATH");
        }
        Path target = Path.of("target").toAbsolutePath();
        Files.createDirectories(target);
        Path envFile = target.resolve("compose-it.env");
        StringBuilder env = new StringBuilder();
        KEYS.forEach((name, key) -> env.append(name).append('=').append(key).append('\n'));
        Files.writeString(envFile, env.toString(), StandardCharsets.UTF_8);
        compose = ComposeCli.of(command, COMPOSE_FILE, envFile, "pirstream-it-" + UUID.randomUUID().toString()
                .substring(0, 8), Map.of(
                        "PIRSTREAM_KAFKA_IMAGE", ContainerEngine.KAFKA_IMAGE,
                        "PIRSTREAM_IMAGE_PREFIX", System.getProperty("pirstream.image.prefix", ""),
                        "PIRSTREAM_TAG", System.getProperty("pirstream.image.tag", "0.1.0-SNAPSHOT"),
                        // any free port on loopback, never a fixed one
                        "PIRSTREAM_INGEST_PUBLISH", "127.0.0.1:",
                        "PIRSTREAM_QUERY_PUBLISH", "127.0.0.1:"));
        compose.run(Duration.ofMinutes(5), "up", "-d");
        ingestUrl = "http://" + compose.publishedAddress("ingest", 8081);
        queryUrl = "http://" + compose.publishedAddress("query", 8083);
        awaitReady(ingestUrl, START_TIMEOUT);
        awaitReady(queryUrl, START_TIMEOUT);
    }

    @AfterAll
    static void stopStack() throws IOException {
        if (compose == null) {
            return;
        }
        try {
            Files.writeString(Path.of("target/compose-stack.log"), compose.run(Duration.ofMinutes(2), "logs",
                    "--no-color"), StandardCharsets.UTF_8);
        } finally {
            compose.run(Duration.ofMinutes(3), "down", "-v", "-t", "10");
        }
    }

    @Test
    @Order(1)
    void aPostedFrameIsFoundByItsDescription() throws Exception {
        SyntheticScenes.Scene scene = SyntheticScenes.generate(14_001, 256, "forest");
        firstChip = postFrame(scene);
        assertThat(awaitSearchable(firstChip)).as("chip " + firstChip + " searchable").isTrue();

        HttpResponse<String> search = search(scene.captions().get(0));
        assertThat(search.statusCode()).as("search: " + search.body()).isEqualTo(200);
        assertThat(chipIds(search.body())).as("results for '" + scene.captions().get(0) + "'").contains(firstChip);
    }

    @Test
    @Order(2)
    void aKilledServiceIsRestartedAndServesAgain() throws Exception {
        DockerClient docker = DockerClientFactory.instance().client();
        String query = compose.containerId("query");
        InspectContainerResponse before = docker.inspectContainerCmd(query).exec();
        long pid = before.getState().getPidLong();
        // SIGKILL to the service's process, as the kernel's OOM killer would: the engine sees a crash, not a stop
        ProcessHandle process = ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException(
                "the engine's container process " + pid + " is not visible from this machine"));
        assertThat(process.destroyForcibly()).as("kill query-service's process " + pid).isTrue();

        assertThat(await(Duration.ofMinutes(2), () -> {
            InspectContainerResponse now = docker.inspectContainerCmd(query).exec();
            return Boolean.TRUE.equals(now.getState().getRunning()) && now.getRestartCount() > before.getRestartCount();
        })).as("query-service restarted by its restart policy").isTrue();
        awaitReady(queryUrl, START_TIMEOUT);

        assertThat(awaitSearchable(firstChip)).as("the chip from before the kill, after the restart").isTrue();
        SyntheticScenes.Scene scene = SyntheticScenes.generate(14_002, 256, "river_lake");
        String chip = postFrame(scene);
        assertThat(awaitSearchable(chip)).as("a chip posted after the restart").isTrue();
        assertThat(chipIds(search(scene.captions().get(0)).body())).as("results after the restart").contains(chip);
    }

    @Test
    @Order(3)
    void noApiKeyReachesALog() {
        String logs = compose.run(Duration.ofMinutes(2), "logs", "--no-color");
        assertThat(logs).as("the stack's logs").contains("Listening on");
        KEYS.forEach((name, key) -> assertThat(logs).as("logs hold no " + name).doesNotContain(key));
    }

    private static String postFrame(SyntheticScenes.Scene scene) throws IOException, InterruptedException {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(scene.image(), "png", png);
        String boundary = "pirstream-" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        Map.of("platform", "compose-it-drone", "capturedAt", "2026-11-26T10:00:00Z").forEach((name, value) ->
                body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n"
                        + value + "\r\n").getBytes(StandardCharsets.UTF_8)));
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"frame.png\""
                + "\r\nContent-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(png.toByteArray());
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(ingestUrl + "/v1/frames"))
                .header("Authorization", "Bearer " + KEYS.get("PIRSTREAM_INGEST_KEY"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("POST /v1/frames: " + response.body()).isEqualTo(200);
        List<String> chips = chipIds(response.body());
        assertThat(chips).as("chips of a 256 px frame").hasSize(1);
        return chips.get(0);
    }

    private static HttpResponse<String> search(String text) throws IOException, InterruptedException {
        String body = "{\"text\": \"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\", \"k\": 5}";
        return HTTP.send(HttpRequest.newBuilder(URI.create(queryUrl + "/v1/search"))
                .header("Authorization", "Bearer " + KEYS.get("PIRSTREAM_ANALYST_KEY"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static boolean awaitSearchable(String chipId) {
        return await(SEARCHABLE_TIMEOUT, () -> status(queryUrl + "/v1/chips/" + chipId,
                KEYS.get("PIRSTREAM_ANALYST_KEY")) == 200);
    }

    private static void awaitReady(String baseUrl, Duration timeout) {
        assertThat(await(timeout, () -> status(baseUrl + "/q/health/ready", null) == 200))
                .as(baseUrl + "/q/health/ready within " + timeout).isTrue();
    }

    /** The status of a GET, or -1 while nothing answers (a container starting or restarting). */
    private static int status(String url, String key) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET();
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Polls until the condition holds or the timeout passes (a bound, not a latency budget). */
    private static boolean await(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        return condition.getAsBoolean();
    }

    private static List<String> chipIds(String body) {
        Matcher matcher = CHIP_ID.matcher(body);
        List<String> ids = new java.util.ArrayList<>();
        while (matcher.find()) {
            ids.add(matcher.group(1));
        }
        return ids;
    }

    private static void unavailable(String reason) {
        if (ContainerEngine.REQUIRED) {
            throw new IllegalStateException("PIRSTREAM_REQUIRE_CONTAINERS=true but " + reason);
        }
        System.err.println("SKIPPED ComposeStackIT: " + reason);
        Assumptions.abort(reason);
    }

    private static String randomKey() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
