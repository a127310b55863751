package io.pirstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import io.pirstream.model.synth.SyntheticScenes;
import io.pirstream.testkit.ContainerEngine;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;

/**
 * deploy/compose.yaml (plus a test's overrides) started on the container engine under its own project name, with the
 * images the build made (profile images) and fresh API keys, and the HTTP calls the tests make against it. Starting
 * skips the test, with the reason, without an engine, a compose command or the images; with
 * {@code PIRSTREAM_REQUIRE_CONTAINERS=true} (CI) each of those fails instead.
 */
final class ComposeStack implements AutoCloseable {

    static final Path COMPOSE_FILE = ServiceContract.ROOT.resolve("deploy/compose.yaml");
    /** First start on a loaded 2-core machine: Kafka, three JVMs, PyTorch's library extracted, the model loaded. */
    static final Duration START_TIMEOUT = Duration.ofMinutes(8);

    private static final Pattern CHIP_ID = Pattern.compile("\"chipId\":\"([0-9a-f]{64})\"");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final String name;
    private final ComposeCli compose;
    private final Map<String, String> keys;
    private final String ingestUrl;
    private final String queryUrl;

    private ComposeStack(String name, ComposeCli compose, Map<String, String> keys, String ingestUrl, String queryUrl) {
        this.name = name;
        this.compose = compose;
        this.keys = keys;
        this.ingestUrl = ingestUrl;
        this.queryUrl = queryUrl;
    }

    /**
     * Brings the stack up and waits until ingest and query are ready.
     *
     * @param name names the project ({@code <name>-<random>}) and the log written at {@link #close()}
     * @param overrides further compose files merged over deploy/compose.yaml, in order
     * @param environment further variables for the compose files' interpolation
     */
    static ComposeStack start(String name, List<Path> overrides, Map<String, String> environment) throws IOException {
        if (!Boolean.getBoolean("pirstream.images")) {
            unavailable(name, "the service images are built by the images profile: ./mvnw -Pimages verify");
        }
        List<String> command = ComposeCli.find().orElse(null);
        if (command == null) {
            unavailable(name, "no compose command (docker compose, docker-compose or podman-compose) on the PATH");
        }
        Map<String, String> keys = Map.of("PIRSTREAM_INGEST_KEY", randomKey(), "PIRSTREAM_ANALYST_KEY", randomKey(),
                "PIRSTREAM_OPERATOR_KEY", randomKey(), "PIRSTREAM_WEBHOOK_SIGNING_KEY", randomKey());
        Path target = Path.of("target").toAbsolutePath();
        Files.createDirectories(target);
        Path envFile = target.resolve(name + ".env");
        StringBuilder env = new StringBuilder();
        keys.forEach((key, value) -> env.append(key).append('=').append(value).append('\n'));
        Files.writeString(envFile, env.toString(), StandardCharsets.UTF_8);

        Map<String, String> interpolation = new HashMap<>(Map.of(
                "PIRSTREAM_KAFKA_IMAGE", ContainerEngine.KAFKA_IMAGE,
                "PIRSTREAM_IMAGE_PREFIX", System.getProperty("pirstream.image.prefix", ""),
                "PIRSTREAM_TAG", System.getProperty("pirstream.image.tag", "0.1.0-SNAPSHOT"),
                // any free port on loopback, never a fixed one
                "PIRSTREAM_INGEST_PUBLISH", "127.0.0.1:",
                "PIRSTREAM_QUERY_PUBLISH", "127.0.0.1:"));
        interpolation.putAll(environment);
        List<Path> files = new ArrayList<>(List.of(COMPOSE_FILE));
        files.addAll(overrides);
        ComposeCli compose = ComposeCli.of(command, files, envFile, name + "-" + UUID.randomUUID().toString()
                .substring(0, 8), interpolation);
        compose.run(Duration.ofMinutes(5), "up", "-d");
        ComposeStack stack;
        try {
            stack = new ComposeStack(name, compose, keys, "http://" + compose.publishedAddress("ingest", 8081),
                    "http://" + compose.publishedAddress("query", 8083));
        } catch (RuntimeException e) {
            compose.run(Duration.ofMinutes(3), "down", "-v", "-t", "10");
            throw e;
        }
        stack.awaitReady(stack.ingestUrl, START_TIMEOUT);
        stack.awaitReady(stack.queryUrl, START_TIMEOUT);
        return stack;
    }

    ComposeCli compose() {
        return compose;
    }

    Map<String, String> keys() {
        return keys;
    }

    String ingestUrl() {
        return ingestUrl;
    }

    String queryUrl() {
        return queryUrl;
    }

    /**
     * Writes the stack's logs (with the engine's timestamps) to {@code target/<name>.log} and removes its containers
     * and volumes.
     */
    @Override
    public void close() throws IOException {
        try {
            Files.writeString(Path.of("target", name + ".log"), compose.run(Duration.ofMinutes(2), "logs",
                    "--no-color", "--timestamps"), StandardCharsets.UTF_8);
        } finally {
            compose.run(Duration.ofMinutes(3), "down", "-v", "-t", "10");
        }
    }

    /** {@code POST /v1/frames} of a generated scene as PNG; the answer as it came. */
    HttpResponse<String> postFrame(SyntheticScenes.Scene scene, String platform, Duration timeout)
            throws IOException, InterruptedException {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(scene.image(), "png", png);
        String boundary = "pirstream-" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        Map.of("platform", platform, "capturedAt", "2026-11-26T10:00:00Z").forEach((field, value) ->
                body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field + "\"\r\n\r\n"
                        + value + "\r\n").getBytes(StandardCharsets.UTF_8)));
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"frame.png\""
                + "\r\nContent-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(png.toByteArray());
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return HTTP.send(HttpRequest.newBuilder(URI.create(ingestUrl + "/v1/frames")).timeout(timeout)
                .header("Authorization", "Bearer " + keys.get("PIRSTREAM_INGEST_KEY"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Posts a 256 px frame (one chip) and returns its chip id, asserting that it was accepted. */
    String postFrame(SyntheticScenes.Scene scene) throws IOException, InterruptedException {
        HttpResponse<String> response = postFrame(scene, "compose-it-drone", Duration.ofMinutes(1));
        assertThat(response.statusCode()).as("POST /v1/frames: " + response.body()).isEqualTo(200);
        List<String> chips = chipIds(response.body());
        assertThat(chips).as("chips of a 256 px frame").hasSize(1);
        return chips.get(0);
    }

    /** {@code POST /v1/search}; {@code requestJson} is the whole request body. */
    HttpResponse<String> search(String requestJson) throws IOException, InterruptedException {
        return postToQuery("/v1/search", requestJson);
    }

    /** {@code POST} of a JSON body to the query API with the analyst key. */
    HttpResponse<String> postToQuery(String path, String json) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(queryUrl + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + keys.get("PIRSTREAM_ANALYST_KEY"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A search for {@code text}, the 5 best, no filter. */
    HttpResponse<String> searchText(String text) throws IOException, InterruptedException {
        return search("{\"text\": \"" + json(text) + "\", \"k\": 5}");
    }

    /**
     * SIGKILL to a service's process, as the kernel's OOM killer would (the engine sees a crash, not a stop), then waits
     * until its restart policy has it running again.
     */
    void killAndAwaitRestart(String service) {
        DockerClient docker = DockerClientFactory.instance().client();
        String container = compose.containerId(service);
        InspectContainerResponse before = docker.inspectContainerCmd(container).exec();
        long pid = before.getState().getPidLong();
        ProcessHandle process = ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException(
                "the engine's container process " + pid + " is not visible from this machine"));
        assertThat(process.destroyForcibly()).as("kill " + service + "'s process " + pid).isTrue();
        assertThat(await(Duration.ofMinutes(2), () -> {
            InspectContainerResponse now = docker.inspectContainerCmd(container).exec();
            return Boolean.TRUE.equals(now.getState().getRunning()) && now.getRestartCount() > before.getRestartCount();
        })).as(service + " restarted by its restart policy").isTrue();
    }

    /** Whether the chip is in the query service's index ({@code GET /v1/chips/{id}} answers 200). */
    boolean isSearchable(String chipId) {
        return status(queryUrl + "/v1/chips/" + chipId, keys.get("PIRSTREAM_ANALYST_KEY")) == 200;
    }

    boolean awaitSearchable(String chipId, Duration timeout) {
        return await(timeout, () -> isSearchable(chipId));
    }

    void awaitReady(String baseUrl, Duration timeout) {
        assertThat(await(timeout, () -> isReady(baseUrl))).as(baseUrl + "/q/health/ready within " + timeout).isTrue();
    }

    boolean isReady(String baseUrl) {
        return status(baseUrl + "/q/health/ready", null) == 200;
    }

    /** The status of a GET, or -1 while nothing answers (a container starting or restarting). */
    static int status(String url, String key) {
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
    static boolean await(Duration timeout, BooleanSupplier condition) {
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

    /** The chip ids in an answer, in order. */
    static List<String> chipIds(String body) {
        Matcher matcher = CHIP_ID.matcher(body);
        List<String> ids = new ArrayList<>();
        while (matcher.find()) {
            ids.add(matcher.group(1));
        }
        return ids;
    }

    static String json(String text) {
        return text.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static void unavailable(String name, String reason) {
        if (ContainerEngine.REQUIRED) {
            throw new IllegalStateException("PIRSTREAM_REQUIRE_CONTAINERS=true but " + reason);
        }
        System.err.println("SKIPPED " + name + ": " + reason);
        Assumptions.abort(reason);
    }

    private static String randomKey() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
