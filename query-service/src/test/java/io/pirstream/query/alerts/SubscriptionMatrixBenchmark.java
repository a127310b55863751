package io.pirstream.query.alerts;

import io.pirstream.schemas.AvroContracts;
import io.pirstream.schemas.avro.Embedding;
import io.pirstream.schemas.avro.PixelWindow;
import io.pirstream.schemas.avro.QueryFilters;
import io.pirstream.schemas.avro.Source;
import io.pirstream.schemas.avro.StandingQuery;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Match cost per embedding against 1k, 10k and 100k subscriptions (or the counts given), for batches of 1, 8 and 32
 * embeddings, and the heap each subscription takes in the {@link SubscriptionMatrix}.
 *
 * <pre>./mvnw -q -pl query-service test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.pirstream.query.alerts.SubscriptionMatrixBenchmark -Dexec.args="192 1000 10000 100000"</pre>
 * The first argument is the dimension (the shipped model's {@code PirModel.dimension()}).
 */
public final class SubscriptionMatrixBenchmark {

    private static final int[] BATCHES = {1, 8, 32};
    private static final int ROUNDS = 41;

    public static void main(String[] args) {
        AvroContracts.ensureTrusted();
        int dim = args.length > 0 ? Integer.parseInt(args[0]) : 192;
        int[] counts = args.length > 1 ? Arrays.stream(args, 1, args.length).mapToInt(Integer::parseInt).toArray()
                : new int[] {1_000, 10_000, 100_000};
        System.out.printf("dimension %d; %d cores, max heap %d MB, %s%n", dim, Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20, System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        Random random = new Random(42);
        warmUp(random, dim);
        for (int n : counts) {
            long before = usedHeap();
            SubscriptionMatrix matrix = new SubscriptionMatrix(dim);
            List<StandingQuery> kept = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                StandingQuery query = query("sub-" + i, unit(random, dim));
                matrix.put(query);
                query.setVector(List.of()); // as the subscription store does: the vector lives in the matrix only
                kept.add(query);
            }
            long bytesPer = (usedHeap() - before) / n;
            for (int batch : BATCHES) {
                float[][] vectors = new float[batch][];
                List<Embedding> chips = new ArrayList<>();
                for (int e = 0; e < batch; e++) {
                    vectors[e] = unit(random, dim);
                    chips.add(chip("chip-" + e));
                }
                long[] nanos = new long[ROUNDS];
                int matches = 0;
                for (int warm = 0; warm < 5; warm++) {
                    matches = matrix.match(vectors, chips).size();
                }
                for (int r = 0; r < ROUNDS; r++) {
                    long start = System.nanoTime();
                    matches += matrix.match(vectors, chips).size();
                    nanos[r] = System.nanoTime() - start;
                }
                Arrays.sort(nanos);
                System.out.printf("%,8d subscriptions, batch %2d: %.3f ms per embedding (median of %d; batch %.2f ms,"
                                + " fastest %.2f ms; %d matches)%n", n, batch, nanos[ROUNDS / 2] / 1e6 / batch, ROUNDS,
                        nanos[ROUNDS / 2] / 1e6, nanos[0] / 1e6, matches);
            }
            System.out.printf("%,8d subscriptions: about %,d bytes of heap each (matrix column %d, record and filters the"
                    + " rest)%n", n, bytesPer, dim * 4);
        }
    }

    /** Lets HotSpot compile the product (C2, vectorised) before anything is timed. */
    private static void warmUp(Random random, int dim) {
        SubscriptionMatrix matrix = new SubscriptionMatrix(dim);
        for (int i = 0; i < 2_000; i++) {
            matrix.put(query("warm-" + i, unit(random, dim)));
        }
        for (int batch : BATCHES) {
            float[][] vectors = new float[batch][];
            List<Embedding> chips = new ArrayList<>();
            for (int e = 0; e < batch; e++) {
                vectors[e] = unit(random, dim);
                chips.add(chip("warm-" + e));
            }
            long until = System.nanoTime() + 1_000_000_000L;
            while (System.nanoTime() < until) {
                matrix.match(vectors, chips);
            }
        }
    }

    static StandingQuery query(String id, float[] vector) {
        List<Float> values = new ArrayList<>(vector.length);
        for (float v : vector) {
            values.add(v);
        }
        return StandingQuery.newBuilder().setSubscriptionId(id).setText("a small lake surrounded by forest " + id)
                .setThreshold(0.99f).setFilters(QueryFilters.newBuilder().build()).setOwner("bench")
                .setCreatedAt(Instant.now()).setModelVersion("bench").setVector(values).build();
    }

    static Embedding chip(String id) {
        return Embedding.newBuilder().setChipId(id).setModelVersion("bench").setVector(List.of())
                .setSceneProbabilities(List.of()).setTopScene("forest").setSceneId("s").setWindow(new PixelWindow(0, 0, 256, 256))
                .setSource(Source.DRONE).setPlatform("uav").setCapturedAt(Instant.now()).setEmbeddedAt(Instant.now())
                .setThumbnail(ByteBuffer.wrap(new byte[0])).build();
    }

    static float[] unit(Random random, int dim) {
        float[] v = new float[dim];
        double norm = 0;
        for (int i = 0; i < dim; i++) {
            v[i] = (float) random.nextGaussian();
            norm += v[i] * v[i];
        }
        for (int i = 0; i < dim; i++) {
            v[i] /= (float) Math.sqrt(norm);
        }
        return v;
    }

    private static long usedHeap() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }
}
