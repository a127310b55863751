package io.pirstream.query.index;

import com.github.jelmerk.hnswlib.core.DistanceFunctions;
import com.github.jelmerk.hnswlib.core.Item;
import com.github.jelmerk.hnswlib.core.SearchResult;
import com.github.jelmerk.hnswlib.core.hnsw.HnswIndex;
import io.pirstream.schemas.avro.Embedding;
import io.pirstream.schemas.avro.PixelWindow;
import io.pirstream.schemas.avro.Source;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Chooses the vector index by measurement: the production {@link VectorIndex} (Lucene 9.12 HNSW, with metadata and
 * the stored record per chip), an exact scan, and hnswlib (a plain in-memory HNSW library), on the same generated
 * vectors. Reports recall@10 against the exact scan, search latency p50/p99 (single thread) for a sweep of explored
 * candidates, insert rate, delete cost and memory or disk per vector.
 *
 * <pre>./mvnw -q -pl query-service test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.pirstream.query.index.VectorIndexBenchmark -Dexec.args="100000 192"</pre>
 * {@code lucene-only} skips hnswlib (its single-threaded build takes long at 1M); {@code --like <image folder>}
 * draws the vectors from a Gaussian with the mean and covariance of the shipped model's embeddings of 512 images
 * there, instead of the isotropic worst case.
 */
public final class VectorIndexBenchmark {

    private static final int K = 10;
    private static final int QUERIES = 200;
    private static final int DELETES = 1_000;

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int dim = args.length > 1 ? Integer.parseInt(args[1]) : 192;
        boolean luceneOnly = List.of(args).contains("lucene-only");
        Path like = null;
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--like")) {
                like = Path.of(args[i + 1]);
            }
        }
        System.out.printf("vectors %,d x %d, %d queries, k=%d; %d cores, max heap %d MB%n", n, dim, QUERIES, K,
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
        Random random = new Random(42);
        float[][] vectors;
        float[][] queries;
        if (like == null) {
            float[][] centres = new float[64][];
            for (int c = 0; c < centres.length; c++) {
                centres[c] = unit(gaussian(random, dim, 1f));
            }
            vectors = clustered(random, centres, n);
            queries = clustered(random, centres, QUERIES);
            System.out.println("generator: 64 random centres + isotropic noise (a worst case: within a cluster the"
                    + " neighbours are nearly equidistant)");
        } else {
            float[][] sample = embedImages(like, 512);
            if (sample[0].length != dim) {
                throw new IllegalArgumentException("the shipped model embeds into " + sample[0].length + " dimensions");
            }
            vectors = likeSample(random, sample, n);
            queries = likeSample(random, sample, QUERIES);
            System.out.printf("generator: Gaussian with the mean and covariance of the shipped model's embeddings of"
                    + " %d images from %s%n", sample.length, like);
            System.out.printf("  effective dimension (participation ratio) of that sample: %.1f%n", effectiveDimension(sample));
        }
        System.out.printf("  effective dimension of the generated vectors: %.1f%n",
                effectiveDimension(Arrays.copyOf(vectors, Math.min(vectors.length, 4096))));

        // exact scan: ground truth and its own latency
        List<Set<Integer>> truth = new ArrayList<>();
        long[] exactNanos = new long[QUERIES];
        for (int q = 0; q < QUERIES; q++) {
            long start = System.nanoTime();
            truth.add(exactTopK(vectors, queries[q]));
            exactNanos[q] = System.nanoTime() - start;
        }
        report("exact scan (float[] dot products)", 1.0, exactNanos, Double.NaN, (long) n * dim * 4 / n, Double.NaN);

        lucene(vectors, queries, truth, dim);
        if (!luceneOnly) {
            hnswlib(vectors, queries, truth, dim);
        }
    }

    private static void lucene(float[][] vectors, float[][] queries, List<Set<Integer>> truth, int dim) throws Exception {
        Path dir = Files.createTempDirectory("bench-lucene-");
        try (VectorIndex index = VectorIndex.open(dir, dim, 1_000)) {
            long start = System.nanoTime();
            for (int i = 0; i < vectors.length; i++) {
                index.upsert(record(i, vectors[i]));
            }
            index.commit();
            index.refresh();
            double insertPerSecond = vectors.length / ((System.nanoTime() - start) / 1e9);
            System.out.printf("  Lucene after streaming inserts: %d segments, %.0f s (%,.0f/s)%n", index.segments(),
                    vectors.length / insertPerSecond, insertPerSecond);
            measureLucene(index, queries, truth, "as inserted");
            long mergeStart = System.nanoTime();
            index.merge(1);
            System.out.printf("  Lucene merge to 1 segment: %.1f s%n", (System.nanoTime() - mergeStart) / 1e9);
            double[] merged = measureLucene(index, queries, truth, "merged");
            double recall = merged[0] * queries.length;
            long[] nanos = lastNanos;
            long t = System.nanoTime();
            for (int i = 0; i < DELETES; i++) {
                index.delete(String.valueOf(i));
            }
            index.refresh();
            double deleteMicros = (System.nanoTime() - t) / 1e3 / DELETES;
            index.commit();
            long bytes;
            try (Stream<Path> files = Files.walk(dir)) {
                bytes = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
            }
            report("Lucene 9.12 HNSW (VectorIndex: vector + metadata + stored record, on disk; merged)",
                    recall / queries.length, nanos, insertPerSecond, bytes / vectors.length, deleteMicros);
        }
    }

    private static long[] lastNanos;

    /** Candidates explored per search in the recall/latency sweep (the service's default is measured last). */
    private static final int[] CANDIDATES = {50, 200, 400};

    /**
     * Recall and latency of the Lucene index as it is now, for a sweep of explored candidates and then the service's
     * default; prints them and returns {recall} of the default.
     */
    private static double[] measureLucene(VectorIndex index, float[][] queries, List<Set<Integer>> truth, String label) {
        for (int candidates : CANDIDATES) {
            measureLucene(index, queries, truth, label + ", " + candidates + " candidates", candidates);
        }
        int standard = Math.max(K * VectorIndex.CANDIDATE_FACTOR, VectorIndex.MIN_CANDIDATES);
        return measureLucene(index, queries, truth, label + ", " + standard + " candidates (service default)", standard);
    }

    private static double[] measureLucene(VectorIndex index, float[][] queries, List<Set<Integer>> truth, String label,
                                          int candidates) {
        warmUp(() -> index.search(queries[0], K, SearchFilters.NONE, candidates));
        long[] nanos = new long[queries.length];
        double recall = 0;
        for (int q = 0; q < queries.length; q++) {
            long t = System.nanoTime();
            List<Hit> hits = index.search(queries[q], K, SearchFilters.NONE, candidates);
            nanos[q] = System.nanoTime() - t;
            Set<Integer> ids = new HashSet<>();
            hits.forEach(h -> ids.add(Integer.parseInt(h.embedding().getChipId())));
            recall += overlap(ids, truth.get(q));
        }
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.out.printf("  Lucene %s: recall@10 %.3f, p50 %.2f ms, p99 %.2f ms%n", label, recall / queries.length,
                sorted[sorted.length / 2] / 1e6, sorted[(int) Math.ceil(0.99 * sorted.length) - 1] / 1e6);
        lastNanos = nanos;
        return new double[] {recall / queries.length};
    }

    /** An hnswlib item: an id and its vector. */
    private record Vec(Integer id, float[] vector) implements Item<Integer, float[]> {
        @Override
        public int dimensions() {
            return vector.length;
        }
    }

    private static void hnswlib(float[][] vectors, float[][] queries, List<Set<Integer>> truth, int dim) throws Exception {
        System.gc();
        long heapBefore = usedHeap();
        HnswIndex<Integer, float[], Vec, Float> index = HnswIndex.newBuilder(dim, DistanceFunctions.FLOAT_INNER_PRODUCT,
                vectors.length).withM(16).withEfConstruction(100).withEf(100).withRemoveEnabled().build();
        long start = System.nanoTime();
        List<Vec> items = new ArrayList<>(vectors.length);
        for (int i = 0; i < vectors.length; i++) {
            items.add(new Vec(i, vectors[i]));
        }
        index.addAll(items, 1, (done, max) -> { }, Integer.MAX_VALUE);
        double insertPerSecond = vectors.length / ((System.nanoTime() - start) / 1e9);
        System.gc();
        long bytesPerVector = (usedHeap() - heapBefore) / vectors.length;
        long[] nanos = new long[queries.length];
        double recall = 0;
        for (int q = 0; q < queries.length; q++) {
            long t = System.nanoTime();
            List<SearchResult<Vec, Float>> hits = index.findNearest(queries[q], K);
            nanos[q] = System.nanoTime() - t;
            Set<Integer> ids = new HashSet<>();
            hits.forEach(h -> ids.add(h.item().id()));
            recall += overlap(ids, truth.get(q));
        }
        long t = System.nanoTime();
        for (int i = 0; i < DELETES; i++) {
            index.remove(i, 0);
        }
        double deleteMicros = (System.nanoTime() - t) / 1e3 / DELETES;
        report("hnswlib-core 1.2.1 HNSW (vectors only, in heap)", recall / queries.length, nanos, insertPerSecond,
                bytesPerVector, deleteMicros);
    }

    private static Embedding record(int id, float[] vector) {
        List<Float> values = new ArrayList<>(vector.length);
        for (float v : vector) {
            values.add(v);
        }
        return Embedding.newBuilder().setChipId(String.valueOf(id)).setModelVersion("bench").setVector(values)
                .setSceneProbabilities(List.of()).setTopScene("x").setSceneId("s").setWindow(new PixelWindow(0, 0, 256, 256))
                .setSource(Source.DRONE).setPlatform("p").setCapturedAt(Instant.ofEpochSecond(id))
                .setEmbeddedAt(Instant.ofEpochSecond(id)).setThumbnail(ByteBuffer.wrap(new byte[0])).build();
    }

    private static Set<Integer> exactTopK(float[][] vectors, float[] query) {
        int[] best = new int[K];
        float[] scores = new float[K];
        Arrays.fill(scores, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < vectors.length; i++) {
            float dot = 0;
            float[] v = vectors[i];
            for (int j = 0; j < v.length; j++) {
                dot += v[j] * query[j];
            }
            if (dot > scores[K - 1]) {
                int pos = K - 1;
                while (pos > 0 && scores[pos - 1] < dot) {
                    scores[pos] = scores[pos - 1];
                    best[pos] = best[pos - 1];
                    pos--;
                }
                scores[pos] = dot;
                best[pos] = i;
            }
        }
        Set<Integer> ids = new HashSet<>();
        for (int id : best) {
            ids.add(id);
        }
        return ids;
    }

    private static double overlap(Set<Integer> found, Set<Integer> truth) {
        return found.stream().filter(truth::contains).count() / (double) truth.size();
    }

    private static void report(String name, double recall, long[] nanos, double insertPerSecond, long bytesPerVector,
                               double deleteMicros) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.out.printf("%s: recall@10 %.3f, p50 %.2f ms, p99 %.2f ms, insert %,.0f/s, %,d B/vector, delete %.1f us%n",
                name, recall, sorted[sorted.length / 2] / 1e6, sorted[(int) Math.ceil(0.99 * sorted.length) - 1] / 1e6,
                insertPerSecond, bytesPerVector, deleteMicros);
    }

    private static void warmUp(Runnable search) {
        for (int i = 0; i < 50; i++) {
            search.run();
        }
    }

    private static long usedHeap() {
        Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }

    private static float[][] clustered(Random random, float[][] centres, int count) {
        int dim = centres[0].length;
        float[][] out = new float[count][];
        for (int i = 0; i < count; i++) {
            float[] noise = gaussian(random, dim, 0.08f);
            float[] centre = centres[random.nextInt(centres.length)];
            for (int j = 0; j < dim; j++) {
                noise[j] += centre[j];
            }
            out[i] = unit(noise);
        }
        return out;
    }

    /** The shipped model's embeddings of the first {@code count} images (sorted by name) in a folder. */
    private static float[][] embedImages(Path folder, int count) throws java.io.IOException {
        List<byte[]> images = new ArrayList<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().limit(count).toList()) {
                images.add(Files.readAllBytes(file));
            }
        }
        try (io.pirstream.model.PirModel model = io.pirstream.model.PirModel.loadDefault()) {
            return model.embedImages(images).stream().map(io.pirstream.model.ImageEmbedding::vector)
                    .toArray(float[][]::new);
        }
    }

    /**
     * Unit vectors from the Gaussian with the sample's mean and covariance: {@code mean + sum_j z_j (x_j - mean) /
     * sqrt(m)} with standard normal {@code z_j} has exactly the sample covariance, without an eigendecomposition.
     */
    private static float[][] likeSample(Random random, float[][] sample, int count) {
        int m = sample.length;
        int dim = sample[0].length;
        float[] mean = new float[dim];
        for (float[] x : sample) {
            for (int j = 0; j < dim; j++) {
                mean[j] += x[j] / m;
            }
        }
        float[][] centred = new float[m][dim];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < dim; j++) {
                centred[i][j] = (float) ((sample[i][j] - mean[j]) / Math.sqrt(m));
            }
        }
        float[][] out = new float[count][];
        for (int i = 0; i < count; i++) {
            float[] v = mean.clone();
            for (float[] c : centred) {
                float z = (float) random.nextGaussian();
                for (int j = 0; j < dim; j++) {
                    v[j] += z * c[j];
                }
            }
            out[i] = unit(v);
        }
        return out;
    }

    /** {@code trace(C)^2 / trace(C^2)} of the centred vectors' covariance: how many dimensions they really use. */
    private static double effectiveDimension(float[][] vectors) {
        int dim = vectors[0].length;
        double[] mean = new double[dim];
        for (float[] v : vectors) {
            for (int j = 0; j < dim; j++) {
                mean[j] += v[j] / (double) vectors.length;
            }
        }
        double[][] cov = new double[dim][dim];
        for (float[] v : vectors) {
            for (int a = 0; a < dim; a++) {
                double da = v[a] - mean[a];
                for (int b = 0; b < dim; b++) {
                    cov[a][b] += da * (v[b] - mean[b]);
                }
            }
        }
        double trace = 0;
        double frobenius = 0;
        for (int a = 0; a < dim; a++) {
            trace += cov[a][a];
            for (int b = 0; b < dim; b++) {
                frobenius += cov[a][b] * cov[a][b];
            }
        }
        return trace * trace / frobenius;
    }

    private static float[] gaussian(Random random, int dim, float scale) {
        float[] v = new float[dim];
        for (int i = 0; i < dim; i++) {
            v[i] = (float) random.nextGaussian() * scale;
        }
        return v;
    }

    private static float[] unit(float[] v) {
        double norm = 0;
        for (float x : v) {
            norm += x * x;
        }
        float inv = (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < v.length; i++) {
            v[i] *= inv;
        }
        return v;
    }
}
