package io.pirstream.model.eval;

/** Dot products between embedding sets. */
final class Similarity {

    private Similarity() {
    }

    /** {@code out[i][j] = a[i] . b[j]}. */
    static float[][] matrix(float[][] a, float[][] b) {
        float[][] out = new float[a.length][b.length];
        java.util.stream.IntStream.range(0, a.length).parallel().forEach(i -> {
            for (int j = 0; j < b.length; j++) {
                float s = 0f;
                float[] x = a[i];
                float[] y = b[j];
                for (int k = 0; k < x.length; k++) {
                    s += x[k] * y[k];
                }
                out[i][j] = s;
            }
        });
        return out;
    }
}
