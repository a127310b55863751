package io.pirstream.model.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hand-checked recall and class metrics, including the degenerate models they must not flatter. */
class RetrievalMetricsTest {

    private static final float[][] AXES = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};

    @Test
    void perfectEmbeddingsScoreOneHundred() {
        RetrievalMetrics.Recall r = RetrievalMetrics.karpathy(AXES, AXES, new int[] {0, 1, 2});
        assertThat(r.imageToText()).containsExactly(100, 100, 100);
        assertThat(r.textToImage()).containsExactly(100, 100, 100);
        assertThat(r.meanRecall()).isEqualTo(100);
    }

    @Test
    void ranksCountOnlyWrongCandidatesAhead() {
        // caption 0 belongs to image 0 but is closer to image 1: rank 2 for that text query
        float[][] captions = {unit(0.6f, 0.8f, 0), {0, 1, 0}, {0, 0, 1}};
        RetrievalMetrics.Recall r = RetrievalMetrics.karpathy(AXES, captions, new int[] {0, 1, 2});
        assertThat(r.textToImageCurve()[0]).as("t2i R@1").isCloseTo(200.0 / 3, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(r.textToImageCurve()[1]).as("t2i R@2").isEqualTo(100);
        // image 0 still ranks its own caption first (0.6 against 0 for the others)
        assertThat(r.imageToText()[0]).isEqualTo(100);
    }

    @Test
    void collapsedModelScoresZeroNotPerfect() {
        float[][] same = new float[50][];
        int[] owner = new int[50];
        for (int i = 0; i < same.length; i++) {
            same[i] = new float[] {1, 0, 0};
            owner[i] = i;
        }
        RetrievalMetrics.Recall r = RetrievalMetrics.karpathy(same, same, owner);
        assertThat(r.textToImage()).as("every score ties: R@1/5/10 over 50").containsExactly(0, 0, 0);
        assertThat(r.imageToText()).containsExactly(0, 0, 0);
    }

    @Test
    void divergedModelScoresZeroNotPerfect() {
        float[][] nan = new float[50][];
        int[] owner = new int[50];
        for (int i = 0; i < nan.length; i++) {
            nan[i] = new float[] {Float.NaN, Float.NaN, Float.NaN};
            owner[i] = i;
        }
        RetrievalMetrics.Recall r = RetrievalMetrics.karpathy(nan, nan, owner);
        assertThat(r.meanRecall()).as("NaN embeddings").isZero();
    }

    @Test
    void classMetricsMatchAHandComputedRanking() {
        // class 0 query ranks images 0 (class 0), 1 (class 1), 2 (class 0): AP = (1/1 + 2/3) / 2
        float[][] images = {unit(1, 0.1f, 0), unit(1, 0.3f, 0), unit(1, 0.5f, 0)};
        float[][] queries = {{1, 0, 0}, {0, 1, 0}};
        ClassMetrics.ClassLevel c = ClassMetrics.evaluate(images, new int[] {0, 1, 0}, queries, List.of("a", "b"));
        // class 1 query ranks 2, 1, 0: its one relevant image (1) sits at rank 2: AP = 1/2
        double expected = 100 * ((1 + 2.0 / 3) / 2 + 0.5) / 2;
        assertThat(c.meanAveragePrecision()).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-9));
        // every image is closer to query 0 than to query 1
        assertThat(c.zeroShotAccuracy()).isCloseTo(200.0 / 3, org.assertj.core.data.Offset.offset(1e-9));
    }

    private static float[] unit(float... v) {
        double n = Math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
        float[] out = Arrays.copyOf(v, v.length);
        for (int i = 0; i < out.length; i++) {
            out[i] /= (float) n;
        }
        return out;
    }
}
