package io.pirstream.launcher;

import static io.pirstream.launcher.TestChips.png;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pirstream.model.PirModel;
import io.pirstream.model.synth.SyntheticScenes;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Feedback;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web console in headless Chromium against the whole product with the shipped model: sign in with the API key,
 * search and see results with thumbnails, mark one relevant (and find the record on {@code pir.feedback}), create a
 * subscription, ingest a matching image through the ingest API, and see its alert appear without a reload.
 * Leaves a screenshot in {@code target/console.png} (the one in {@code docs/} is such a screenshot).
 */
class WebConsoleIT {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final double[] ZURICH = {8.50, 47.35};

    @Test
    void anOperatorSearchesJudgesSubscribesAndSeesTheAlertArrive(@TempDir Path data) throws Exception {
        assumeTrue(PirModel.class.getResource(PirModel.DEFAULT_RESOURCE + "/checkpoint.json") != null,
                "no shipped checkpoint on the classpath (pir-model/src/main/resources" + PirModel.DEFAULT_RESOURCE + ")");
        ChromeDriver browser = HeadlessChromium.start(HeadlessChromium.tempProfile());
        Path home = Path.of("..").toAbsolutePath().normalize();
        ApiKeys keys = ApiKeys.load(data.resolve("keys"));
        Stack.Settings settings = new Stack.Settings(home, data, 0, 0, 0, 0, keys, data.resolve("drop"),
                Optional.empty(), EnumSet.allOf(Stack.Service.class), PirStream.webhookEnvironment(data.resolve("keys")));
        try (Stack stack = Stack.start(settings); PirModel model = PirModel.loadDefault()) {
            IngestClient ingest = new IngestClient(stack.ingest().baseUrl(), keys.ingest());
            QueryClient query = new QueryClient(stack.query().baseUrl(), keys.analyst());

            // 1. one geo-referenced scene per class, side by side, so the footprint view has something to draw
            List<String> captions = new ArrayList<>();
            List<String> chips = new ArrayList<>();
            for (int i = 0; i < SyntheticScenes.LABELS.size(); i++) {
                SyntheticScenes.Scene scene = SyntheticScenes.generate(31_000 + i, 256, SyntheticScenes.LABELS.get(i));
                double west = ZURICH[0] + 0.012 * (i % 4);
                double south = ZURICH[1] + 0.012 * (i / 4);
                chips.add(post(ingest, scene, "uav-console", String.format(Locale.ROOT, "%.3f,%.3f,%.3f,%.3f", west,
                        south, west + 0.01, south + 0.01)));
                captions.add(scene.captions().get(0));
            }
            assertThat(query.awaitSearchable(Set.copyOf(chips), WAIT)).as("the scenes are searchable")
                    .containsExactlyInAnyOrderElementsOf(chips);

            // 2. sign in: the key goes to session storage, the console opens
            WebDriverWait wait = new WebDriverWait(browser, WAIT);
            browser.get(stack.query().baseUrl() + "/");
            browser.findElement(By.id("api-key")).sendKeys(keys.analyst());
            browser.findElement(By.id("sign-in")).click();
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("console")));
            assertThat(js(browser, "return sessionStorage.getItem('pirstream.apiKey')")).as("key in session storage")
                    .isEqualTo(keys.analyst());
            assertThat(js(browser, "return document.cookie")).as("no cookies").isEqualTo("");

            // 3. search: result cards with loaded thumbnails, scores and metadata; footprints drawn
            String river = captions.get(SyntheticScenes.LABELS.indexOf("river_lake"));
            browser.findElement(By.id("search-text")).sendKeys(river);
            browser.findElement(By.id("search-go")).click();
            wait.until(d -> d.findElements(By.cssSelector("#results .result")).size() == chips.size());
            wait.until(d -> Boolean.TRUE.equals(js(browser, "return [...document.querySelectorAll('#results img')]"
                    + ".every(i => i.complete && i.naturalWidth > 0)")));
            wait.until(d -> d.findElements(By.cssSelector("#footprint rect.box")).size() == chips.size());
            WebElement first = browser.findElement(By.cssSelector("#results .result"));
            assertThat(first.getText()).as("first card").contains("DRONE / uav-console").contains("captured");

            // 4. feedback: the first result is relevant; the record is on the topic with who and when
            String judged = first.getAttribute("data-chip-id");
            first.findElement(By.className("fb-relevant")).click();
            wait.until(d -> "true".equals(first.findElement(By.className("fb-relevant")).getAttribute("aria-pressed")));
            Feedback feedback = awaitFeedback(stack, judged);
            assertThat(feedback.getRelevant()).as("relevant").isTrue();
            assertThat(feedback.getUser()).as("who").isEqualTo("default");
            assertThat(feedback.getQueryText()).as("query").isEqualTo(river);

            // 5. subscribe: watch a platform for the river caption, threshold just below what the model scores
            //    the image that will arrive (so the test does not depend on where the model's scores lie)
            SyntheticScenes.Scene arriving = SyntheticScenes.generate(47_000, 256, "river_lake");
            float expected = cosine(model.embedTexts(List.of(river))[0],
                    model.embedImages(List.of(png(arriving))).get(0).vector());
            String threshold = String.format(Locale.ROOT, "%.2f", expected - 0.05f);
            browser.findElement(By.id("sub-text")).sendKeys(river);
            WebElement thresholdField = browser.findElement(By.id("sub-threshold"));
            thresholdField.clear();
            thresholdField.sendKeys(threshold);
            browser.findElement(By.id("sub-platforms")).sendKeys("uav-watch");
            browser.findElement(By.id("sub-create")).click();
            wait.until(d -> d.findElements(By.cssSelector("#subscriptions .subscription")).size() == 1);
            wait.until(d -> "live".equals(d.findElement(By.id("alerts-state")).getAttribute("data-state")));
            wait.until(d -> "live".equals(d.findElement(By.id("index-state")).getAttribute("data-state")));

            // 6. a matching image arrives through the ingest API: its alert and feed entry appear without a reload
            js(browser, "window.__sameDocument = true; return null");
            String arrived = post(ingest, arriving, "uav-watch", null);
            wait.until(d -> !d.findElements(By.cssSelector("#alerts .alert[data-chip-id='" + arrived + "']")).isEmpty());
            wait.until(d -> !d.findElements(By.cssSelector("#feed li[data-chip-id='" + arrived + "']")).isEmpty());
            assertThat(js(browser, "return window.__sameDocument === true")).as("no reload").isEqualTo(true);
            assertThat(browser.findElements(By.cssSelector("#alerts .alert"))).as("one alert, for the new image")
                    .singleElement().satisfies(alert -> assertThat(alert.getText()).as("alert text").contains(river));
            wait.until(d -> Boolean.TRUE.equals(js(browser, "return [...document.querySelectorAll('#alerts img')]"
                    + ".every(i => i.complete && i.naturalWidth > 0)")));

            Path shot = Path.of("target", "console.png");
            Files.createDirectories(shot.getParent());
            Files.write(shot, browser.getScreenshotAs(OutputType.BYTES));
        } finally {
            browser.quit();
        }
    }

    private static String post(IngestClient ingest, SyntheticScenes.Scene scene, String platform, String bbox)
            throws Exception {
        Map<String, String> fields = new java.util.HashMap<>(Map.of("platform", platform,
                "capturedAt", Instant.now().minusSeconds(120).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString(),
                "sceneLabel", scene.label()));
        if (bbox != null) {
            fields.put("bbox", bbox);
        }
        HttpResponse<String> response = ingest.post("/v1/frames", png(scene), "scene.png", fields);
        assertThat(response.statusCode()).as("upload of %s: %s", scene.label(), response.body()).isEqualTo(200);
        Matcher matcher = TestChips.CHIP_ID.matcher(response.body());
        assertThat(matcher.find()).as("chip id in the answer").isTrue();
        return matcher.group(1);
    }

    private static Feedback awaitFeedback(Stack stack, String chipId) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "console-it-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.FEEDBACK.name()));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                for (var record : consumer.poll(Duration.ofMillis(200))) {
                    Feedback feedback = Topics.FEEDBACK.valueSerde().deserializer().deserialize(record.topic(), record.value());
                    if (feedback.getChipId().equals(chipId)) {
                        return feedback;
                    }
                }
            }
        }
        throw new AssertionError("no feedback on " + Topics.FEEDBACK.name() + " for chip " + chipId + " within " + WAIT);
    }

    private static Object js(ChromeDriver browser, String script) {
        return ((JavascriptExecutor) browser).executeScript(script);
    }

    private static float cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return (float) (dot / Math.sqrt(na * nb));
    }
}
