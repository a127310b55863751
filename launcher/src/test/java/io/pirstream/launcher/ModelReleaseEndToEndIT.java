package io.pirstream.launcher;

import static io.pirstream.launcher.TestChips.firstChipId;
import static io.pirstream.launcher.TestChips.png;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pirstream.finetune.FineTuneRound;
import io.pirstream.launcher.admin.PirAdmin;
import io.pirstream.model.PirModel;
import io.pirstream.model.synth.SyntheticScenes;
import io.pirstream.model.train.FineTuneConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The feedback loop on the embedded default with every service and the shipped model: chips are uploaded and
 * judged through the API, a fine-tune round publishes a candidate, {@code pir-admin promote} starts the reindex (the
 * new version's embedder replays pir.chips), the query service flips, and a rollback flips back, while a client
 * searches throughout: no search fails, each names one version, and the version changes once per flip.
 */
class ModelReleaseEndToEndIT {

    private static final ApiKeys KEYS = ApiKeys.random();
    private static final Pattern VERSION = Pattern.compile("\"modelVersion\":\"([^\"]+)\"");
    private static final Pattern SERVING = Pattern.compile("\"serving\":\"([^\"]+)\"");

    @Test
    void feedbackFineTuneReleaseReindexFlipAndRollback(@TempDir Path data) throws Exception {
        assumeTrue(PirModel.class.getResource(PirModel.DEFAULT_RESOURCE + "/checkpoint.json") != null,
                "no shipped checkpoint on the classpath");
        Path home = Path.of("..").toAbsolutePath().normalize();
        Stack.Settings settings = new Stack.Settings(home, data, 0, 0, 0, 0, KEYS, data.resolve("drop"),
                Optional.empty(), EnumSet.allOf(Stack.Service.class));
        try (Stack stack = Stack.start(settings)) {
            IngestClient ingest = new IngestClient(stack.ingest().baseUrl(), KEYS.ingest());
            QueryClient query = new QueryClient(stack.query().baseUrl(), KEYS.analyst());
            HttpClient http = HttpClient.newHttpClient();
            String base = stack.query().baseUrl();

            // 1. four generated scenes, searchable; each judged relevant for its caption
            Map<String, String> chipByCaption = new LinkedHashMap<>();
            for (int i = 0; i < 4; i++) {
                SyntheticScenes.Scene scene = SyntheticScenes.generate(88_000 + i, 256, SyntheticScenes.LABELS.get(i));
                HttpResponse<String> response = ingest.post("/v1/frames", png(scene), "scene.png", Map.of(
                        "platform", "uav-loop", "capturedAt", Instant.parse("2025-11-01T00:00:00Z").toString()));
                assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                chipByCaption.put(scene.captions().get(0), firstChipId(response.body()));
            }
            assertThat(query.awaitSearchable(Set.copyOf(chipByCaption.values()), Duration.ofSeconds(120)))
                    .containsExactlyInAnyOrderElementsOf(chipByCaption.values());
            String before = version(query.search("a forest", 3).body());
            for (var e : chipByCaption.entrySet()) {
                HttpResponse<String> judged = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/feedback"))
                        .header("Authorization", "Bearer " + KEYS.analyst()).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"queryText\": \"" + e.getKey() + "\", \"chipId\": \""
                                + e.getValue() + "\", \"relevant\": true}")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(judged.statusCode()).as(judged.body()).isBetween(200, 202);
            }

            // 2. one fine-tune round: a candidate release (the gate's quality is FeedbackHelpsTest's business)
            FineTuneRound.Outcome outcome = FineTuneRound.run(FineTuneRound.Settings.of(
                    Map.of("bootstrap.servers", stack.broker().bootstrapServers()), data.resolve("models"))
                    .withConfig(FineTuneConfig.defaults().withSteps(8).withData(16, 32).withTolerance(100)));
            assertThat(outcome.status()).as(outcome.message()).isEqualTo(FineTuneRound.Status.CANDIDATE);
            String candidate = outcome.release().getVersion();
            assertThat(candidate).isNotEqualTo(before);

            // 3. a client searches throughout promotion, reindex, flip and rollback
            List<String[]> observed = Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean searching = new AtomicBoolean(true);
            Thread client = new Thread(() -> {
                while (searching.get()) {
                    HttpResponse<String> r = query.search("a river through green fields", 3);
                    observed.add(new String[] {String.valueOf(r.statusCode()), r.statusCode() == 200 ? version(r.body()) : r.body()});
                }
            }, "searching-client");
            client.start();
            try {
                assertThat(admin("promote", candidate, "--bootstrap-servers", stack.broker().bootstrapServers())).isZero();
                await(() -> candidate.equals(serving(http, base)), Duration.ofMinutes(5), "the flip to " + candidate);
                // the new version's embedder replayed every chip: all are in the new index
                for (String chip : chipByCaption.values()) {
                    assertThat(query.isSearchable(chip)).as("chip %s in the new version's index", chip).isTrue();
                }
                assertThat(admin("rollback", "--bootstrap-servers", stack.broker().bootstrapServers())).isZero();
                await(() -> before.equals(serving(http, base)), Duration.ofMinutes(2), "the flip back to " + before);
                Thread.sleep(500);
            } finally {
                searching.set(false);
                client.join();
            }
            assertThat(observed).as("searches").isNotEmpty().allSatisfy(o -> assertThat(o[0]).as(o[1]).isEqualTo("200"));
            List<String> runs = new ArrayList<>();
            for (String[] o : observed) {
                if (runs.isEmpty() || !runs.get(runs.size() - 1).equals(o[1])) {
                    runs.add(o[1]);
                }
            }
            assertThat(runs).as("the answering version, in order").containsExactly(before, candidate, before);
        }
    }

    private static int admin(String... args) {
        CommandLine cli = PirAdmin.commandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        assertThat(err.toString()).as("pir-admin errors").isEmpty();
        return exit;
    }

    private static String version(String body) {
        Matcher m = VERSION.matcher(body);
        return m.find() ? m.group(1) : null;
    }

    private static String serving(HttpClient http, String base) {
        try {
            String body = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/models"))
                    .header("Authorization", "Bearer " + KEYS.analyst()).build(), HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = SERVING.matcher(body);
            return m.find() ? m.group(1) : null;
        } catch (Exception e) {
            return null;
        }
    }

    private static void await(java.util.function.BooleanSupplier condition, Duration timeout, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("timed out waiting for " + what).isLessThan(deadline);
            Thread.sleep(200);
        }
    }
}
