package io.pirstream.model.eval;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Class-level text-to-image retrieval with class-description queries (mAP, P@10) and zero-shot
 * scene classification (each image takes the class whose query it is most similar to).
 */
public final class ClassMetrics {

    /**
     * Class-level figures, in percent.
     *
     * @param classes evaluated classes
     * @param meanAveragePrecision mAP over class queries
     * @param precisionAt10 mean P@10 over class queries
     * @param zeroShotAccuracy zero-shot accuracy
     * @param confusion {@code confusion[true][predicted]} counts
     */
    public record ClassLevel(List<String> classes, double meanAveragePrecision, double precisionAt10, double zeroShotAccuracy,
            int[][] confusion) {
    }

    private ClassMetrics() {
    }

    /**
     * @param images image embeddings
     * @param labels class index (into {@code classes}) of each image
     * @param classQueries one unit-length query embedding per class
     */
    public static ClassLevel evaluate(float[][] images, int[] labels, float[][] classQueries, List<String> classes) {
        float[][] sims = Similarity.matrix(classQueries, images);
        double apSum = 0;
        double p10Sum = 0;
        for (int c = 0; c < classQueries.length; c++) {
            final float[] row = sims[c];
            Integer[] order = IntStream.range(0, images.length).boxed().toArray(Integer[]::new);
            Arrays.sort(order, Comparator.comparingDouble(i -> -row[i]));
            int relevant = 0;
            double precisionSum = 0;
            int top10 = 0;
            for (int r = 0; r < order.length; r++) {
                if (labels[order[r]] == c) {
                    relevant++;
                    precisionSum += relevant / (double) (r + 1);
                    if (r < 10) {
                        top10++;
                    }
                }
            }
            apSum += relevant == 0 ? 0 : precisionSum / relevant;
            p10Sum += top10 / 10.0;
        }
        int[][] confusion = new int[classQueries.length][classQueries.length];
        int correct = 0;
        for (int i = 0; i < images.length; i++) {
            int best = 0;
            for (int c = 1; c < classQueries.length; c++) {
                if (sims[c][i] > sims[best][i]) {
                    best = c;
                }
            }
            confusion[labels[i]][best]++;
            correct += best == labels[i] ? 1 : 0;
        }
        int n = classQueries.length;
        return new ClassLevel(List.copyOf(classes), 100 * apSum / n, 100 * p10Sum / n, 100.0 * correct / Math.max(1, images.length), confusion);
    }
}
