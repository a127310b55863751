package io.pirstream.model.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.model.Checkpoint;
import io.pirstream.model.ImageEmbedding;
import io.pirstream.model.PirModel;
import io.pirstream.model.synth.SyntheticScenes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feedback helps, measured: on generated scenes and the shipped model, the chips users marked relevant for their
 * queries rank higher after one fine-tune round, queries without feedback do not get worse, and the gate lets the
 * candidate through. {@code -Dpirstream.finetune.seed=N} runs another seed (EVALUATION.md lists several); each run
 * writes its figures to {@code target/feedback-helps-<seed>.json}.
 */
class FeedbackHelpsTest {

    /**
     * Chips that get feedback (20; {@code -Dpirstream.finetune.fed=N} for a larger round, with the default config, and
     * {@code -Dpirstream.finetune.rsicd=DIR} to replay RSICD train and gate on RSICD val too),
     * as many queried without any, and a gallery of three times as many.
     */
    static final int FED = Integer.getInteger("pirstream.finetune.fed", 20);
    static final int HELD = FED;
    static final int GALLERY = 3 * FED;
    static final long GALLERY_SEED = 3_000_000_000L;

    @TempDir
    Path dir;

    @Test
    void queriesWithRelevantFeedbackRankTheirChipsHigherAfterOneRound() throws IOException {
        long seed = Long.getLong("pirstream.finetune.seed", 17L);
        List<SyntheticScenes.Scene> scenes = new ArrayList<>();
        List<byte[]> images = new ArrayList<>();
        for (int i = 0; i < GALLERY; i++) {
            SyntheticScenes.Scene scene = SyntheticScenes.generate(GALLERY_SEED + 1000 * seed + i);
            scenes.add(scene);
            images.add(FeedbackFineTunerTest.png(scene));
        }
        List<String> fedQueries = new ArrayList<>();
        List<String> heldQueries = new ArrayList<>();
        for (int i = 0; i < FED + HELD; i++) {
            List<String> captions = scenes.get(i).captions();
            (i < FED ? fedQueries : heldQueries).add(captions.get((int) ((seed + i) % captions.size())));
        }

        double fedBefore;
        double heldBefore;
        List<FeedbackFineTuner.Judgement> judgements = new ArrayList<>();
        try (PirModel parent = PirModel.loadDefault()) {
            float[][] gallery = vectors(parent, images);
            int[] fedRanks = ranks(parent, fedQueries, gallery, 0);
            fedBefore = mean(fedRanks);
            heldBefore = mean(ranks(parent, heldQueries, gallery, FED));
            // what a user does with a result list: marks the chip they were looking for relevant and, when another
            // scene kind came first, that one not relevant
            float[][] q = parent.embedTexts(fedQueries);
            for (int i = 0; i < FED; i++) {
                judgements.add(new FeedbackFineTuner.Judgement(fedQueries.get(i), "chip-" + i, images.get(i), true));
                int top = top(q[i], gallery);
                if (top != i && !scenes.get(top).label().equals(scenes.get(i).label())) {
                    judgements.add(new FeedbackFineTuner.Judgement(fedQueries.get(i), "chip-" + top, images.get(top), false));
                }
            }
        }

        FineTuneConfig config = FED == 20 ? new FineTuneConfig(16, 32, 8, 4, null, 0f, 0f, null, 0, 96, null, null, 40, 0, null, null, seed)
                : new FineTuneConfig(0, 0, 0, 0, null, 0f, 0f, null, null, null, null, System.getProperty("pirstream.finetune.rsicd"), null, 0,
                        null, null, seed);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        FeedbackFineTuner.Result result = FeedbackFineTuner.run(Checkpoint.readResource(PirModel.DEFAULT_RESOURCE), judgements, config,
                Map.of(), dir.resolve("candidate"), new PrintStream(log, true, StandardCharsets.UTF_8), FeedbackFineTuner.StepListener.NONE);

        double fedAfter;
        double heldAfter;
        try (PirModel candidate = PirModel.load(dir.resolve("candidate"))) {
            float[][] gallery = vectors(candidate, images);
            fedAfter = mean(ranks(candidate, fedQueries, gallery, 0));
            heldAfter = mean(ranks(candidate, heldQueries, gallery, FED));
        }
        String figures = String.format(Locale.ROOT, "{\"seed\": %d, \"judgements\": %d, \"fedMeanRankBefore\": %.2f, \"fedMeanRankAfter\": %.2f,"
                + " \"heldMeanRankBefore\": %.2f, \"heldMeanRankAfter\": %.2f, \"gallery\": %d, \"seconds\": %.1f, \"parent\": %s,"
                + " \"candidate\": %s, \"steps\": %d}", seed, judgements.size(), fedBefore, fedAfter, heldBefore, heldAfter, GALLERY, result.seconds(),
                json(result.parentMetrics()), json(result.candidateMetrics()), config.steps());
        Files.writeString(Path.of("target", "feedback-helps-" + seed + ".json"), figures);

        // margins, not exact figures: a fed-back chip climbs by a quarter of its rank at least; queries without feedback
        // lose at most 2 places on average
        assertThat(fedAfter).as("mean rank of the fed-back chips for their queries, before %.2f; %s; log:%n%s", fedBefore, figures, log)
                .isLessThan(fedBefore * 0.75);
        assertThat(heldAfter).as("mean rank for queries without feedback, before %.2f; %s", heldBefore, figures).isLessThan(heldBefore + 2.0);
        assertThat(result.decision().accepted()).as("the gate holds on the validation metrics: %s", result.decision().reason()).isTrue();
    }

    private static float[][] vectors(PirModel model, List<byte[]> images) {
        return model.embedImages(images).stream().map(ImageEmbedding::vector).toArray(float[][]::new);
    }

    /** Rank of chip {@code first + i} among the gallery for query i. */
    private static int[] ranks(PirModel model, List<String> queries, float[][] gallery, int first) {
        float[][] q = model.embedTexts(queries);
        int[] out = new int[q.length];
        for (int i = 0; i < q.length; i++) {
            out[i] = FeedbackFineTuner.rank(q[i], gallery, first + i);
        }
        return out;
    }

    private static int top(float[] query, float[][] gallery) {
        int best = 0;
        for (int i = 1; i < gallery.length; i++) {
            if (dot(query, gallery[i]) > dot(query, gallery[best])) {
                best = i;
            }
        }
        return best;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static double mean(int[] values) {
        double s = 0;
        for (int v : values) {
            s += v;
        }
        return s / values.length;
    }

    private static String json(Map<String, Double> metrics) {
        StringBuilder b = new StringBuilder("{");
        metrics.forEach((k, v) -> b.append(b.length() > 1 ? ", " : "").append('"').append(k).append("\": ").append(v));
        return b.append('}').toString();
    }
}
