package io.pirstream.model.eval;

/**
 * Image-text retrieval metrics under the Karpathy protocol: an image query hits at K if any of its
 * captions ranks within K; every caption is a text query with exactly one correct image.
 */
public final class RetrievalMetrics {

    /** Largest K of the recall curves. */
    public static final int CURVE_K = 20;

    /**
     * Recall figures, in percent.
     *
     * @param imageToText R@1, R@5, R@10 of image queries
     * @param textToImage R@1, R@5, R@10 of text queries
     * @param meanRecall mean of the six
     * @param imageToTextCurve R@K for K = 1..{@link #CURVE_K}
     * @param textToImageCurve R@K for K = 1..{@link #CURVE_K}
     */
    public record Recall(double[] imageToText, double[] textToImage, double meanRecall, double[] imageToTextCurve,
            double[] textToImageCurve) {
    }

    private RetrievalMetrics() {
    }

    /** How equal scores are ranked. */
    public enum Ties {
        /**
         * A wrong candidate scoring the same as the right one ranks ahead of it (and NaN never ranks behind): a
         * collapsed or diverged network scores zero. The headline figures use this.
         */
        AGAINST,
        /**
         * A wrong candidate must score strictly higher to rank ahead. RSICD repeats captions word for word across
         * images, so identical captions tie; published evaluation code breaks such ties by sort order, so published
         * figures lie between the two rules.
         */
        IN_FAVOUR
    }

    /** Recall with ties counted against the model. */
    public static Recall karpathy(float[][] images, float[][] captions, int[] captionImage) {
        return karpathy(images, captions, captionImage, Ties.AGAINST);
    }

    /**
     * Computes recall from unit-length embeddings.
     *
     * @param images image embeddings
     * @param captions caption embeddings
     * @param captionImage index of each caption's image
     * @param ties how equal scores rank
     */
    public static Recall karpathy(float[][] images, float[][] captions, int[] captionImage, Ties ties) {
        if (captions.length != captionImage.length) {
            throw new IllegalArgumentException("one image index per caption expected");
        }
        float[][] sims = Similarity.matrix(images, captions);
        int[] i2tRanks = new int[images.length];
        for (int i = 0; i < images.length; i++) {
            float best = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < captions.length; c++) {
                if (captionImage[c] == i) {
                    best = Math.max(best, sims[i][c]);
                }
            }
            int rank = 1;
            for (int c = 0; c < captions.length; c++) {
                if (captionImage[c] != i && ranksAhead(sims[i][c], best, ties)) {
                    rank++;
                }
            }
            i2tRanks[i] = best == Float.NEGATIVE_INFINITY ? Integer.MAX_VALUE : rank;
        }
        int[] t2iRanks = new int[captions.length];
        for (int c = 0; c < captions.length; c++) {
            float own = sims[captionImage[c]][c];
            int rank = 1;
            for (int i = 0; i < images.length; i++) {
                if (i != captionImage[c] && ranksAhead(sims[i][c], own, ties)) {
                    rank++;
                }
            }
            t2iRanks[c] = rank;
        }
        double[] i2t = curve(i2tRanks);
        double[] t2i = curve(t2iRanks);
        double[] i2t3 = {i2t[0], i2t[4], i2t[9]};
        double[] t2i3 = {t2i[0], t2i[4], t2i[9]};
        double mean = (i2t3[0] + i2t3[1] + i2t3[2] + t2i3[0] + t2i3[1] + t2i3[2]) / 6.0;
        return new Recall(i2t3, t2i3, mean, i2t, t2i);
    }

    /**
     * Whether a wrong candidate ranks ahead of the right one. NaN always counts against the model: a diverged
     * network must score zero, not perfect.
     */
    private static boolean ranksAhead(float wrong, float right, Ties ties) {
        if (Float.isNaN(wrong) || Float.isNaN(right)) {
            return true;
        }
        return ties == Ties.AGAINST ? wrong >= right : wrong > right;
    }

    private static double[] curve(int[] ranks) {
        double[] out = new double[CURVE_K];
        for (int k = 1; k <= CURVE_K; k++) {
            int hits = 0;
            for (int r : ranks) {
                if (r <= k) {
                    hits++;
                }
            }
            out[k - 1] = 100.0 * hits / Math.max(1, ranks.length);
        }
        return out;
    }
}
