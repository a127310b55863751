package io.pirstream.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pirstream.model.PirModel;
import io.pirstream.model.UntrainedCheckpoints;
import io.pirstream.service.api.ProblemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The query encoder on a real (tiny, untrained) model: batching, the per-version cache, the busy answer. */
class QueryEncoderTest {

    private static PirModel model;

    @BeforeAll
    static void load() throws Exception {
        Path dir = Files.createTempDirectory("pirstream-encoder-test-");
        UntrainedCheckpoints.writeTiny(dir);
        model = PirModel.load(dir);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /**
     * Two workers encode side by side (the model's text calls run concurrently): no vector may go to another text,
     * and a burst is split between them rather than left to one big batch.
     */
    @Test
    void concurrentSearchesShareModelCallsAndEachGetsItsOwnTextsVector() throws Exception {
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        QueryEncoder encoder = new QueryEncoder(64, 2, 32, 0, Duration.ofSeconds(30), metrics);
        int searches = 32;
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < searches; i++) {
            texts.add("search number " + i + (i % 2 == 0 ? " over a harbour with many boats" : " of a forest"));
        }
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService clients = Executors.newFixedThreadPool(searches);
        try {
            List<Future<float[]>> vectors = new ArrayList<>();
            for (String text : texts) {
                vectors.add(clients.submit(() -> {
                    start.await();
                    return encoder.encode(model, text);
                }));
            }
            start.countDown();
            float[][] alone = model.embedTexts(texts);
            for (int i = 0; i < searches; i++) {
                assertThat(cosine(vectors.get(i).get(60, TimeUnit.SECONDS), alone[i])).as("vector of text %d", i)
                        .isGreaterThan(0.999);
            }
        } finally {
            clients.shutdownNow();
            encoder.stop();
        }
        DistributionSummary batches = metrics.get("pirstream.query.encoding.batch").summary();
        assertThat(batches.totalAmount()).as("texts encoded").isEqualTo(searches);
        assertThat(batches.count()).as("model calls for %d simultaneous searches", searches).isLessThan(searches);
        assertThat(batches.max()).as("largest batch: each of the 2 workers takes its share of what waits, never all")
                .isLessThanOrEqualTo(searches / 2.0);
    }

    @Test
    void aRepeatedTextIsNotEncodedAgainUnderTheSameModelVersion() {
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        QueryEncoder encoder = new QueryEncoder(4, 2, 8, 16, Duration.ofSeconds(30), metrics);
        try {
            float[] first = encoder.encode(model, "a river through green fields");
            first[0] = 42; // a caller changing its copy changes nothing for the next
            float[] second = encoder.encode(model, "a river through green fields");
            assertThat(second[0]).isNotEqualTo(42f);
            assertThat(cosine(second, model.embedTexts(List.of("a river through green fields"))[0])).isGreaterThan(0.999);
            assertThat(metrics.get("pirstream.query.text.cache").tag("result", "hit").counter().count()).isEqualTo(1);
            assertThat(metrics.get("pirstream.query.encoding.batch").summary().count()).as("model calls").isEqualTo(1);
        } finally {
            encoder.stop();
        }
    }

    @Test
    void aFullEncoderAnswersBusyAfterItsWaitAndAcceptsAgainOnceFree() throws Exception {
        QueryEncoder encoder = new QueryEncoder(1, 2, 8, 0, Duration.ofMillis(100), new SimpleMeterRegistry());
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = new Thread(() -> encoder.admitted(() -> {
            held.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        }));
        holder.start();
        try {
            assertThat(held.await(30, TimeUnit.SECONDS)).isTrue();
            assertThatThrownBy(() -> encoder.encode(model, "a lake")).isInstanceOfSatisfying(ProblemException.class,
                    e -> assertThat(e.getMessage()).contains("max-concurrent-encodings"));
        } finally {
            release.countDown();
            holder.join(30_000);
        }
        assertThat(encoder.encode(model, "a lake")).hasSize(model.dimension());
        encoder.stop();
    }

    @Test
    void aModelThatFailsIsReportedToEverySearchAndTheEncoderKeepsWorking() throws Exception {
        Path dir = Files.createTempDirectory("pirstream-encoder-closed-");
        UntrainedCheckpoints.writeTiny(dir);
        PirModel closed = PirModel.load(dir);
        closed.close(); // what a search meets when its version was retired under it
        QueryEncoder encoder = new QueryEncoder(4, 2, 8, 0, Duration.ofSeconds(30), new SimpleMeterRegistry());
        try {
            assertThatThrownBy(() -> encoder.encode(closed, "a lake")).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");
            assertThat(encoder.encode(model, "a lake")).hasSize(model.dimension());
        } finally {
            encoder.stop();
        }
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
