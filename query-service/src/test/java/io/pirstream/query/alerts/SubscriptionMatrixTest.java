package io.pirstream.query.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.schemas.AvroContracts;
import io.pirstream.schemas.avro.Embedding;
import io.pirstream.schemas.avro.StandingQuery;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** The batched product gives the scores a plain dot product gives, across blocks, slots reused after removal. */
class SubscriptionMatrixTest {

    @Test
    void batchedScoresEqualPlainDotProductsAcrossBlocks() {
        AvroContracts.ensureTrusted();
        Random random = new Random(11);
        int dim = 37; // not a multiple of the 4-dimension unrolling
        int n = SubscriptionMatrix.BLOCK * 2 + 17;
        SubscriptionMatrix matrix = new SubscriptionMatrix(dim);
        float[][] subs = new float[n][];
        for (int i = 0; i < n; i++) {
            subs[i] = SubscriptionMatrixBenchmark.unit(random, dim);
            matrix.put(StandingQuery.newBuilder(SubscriptionMatrixBenchmark.query("s" + i, subs[i])).setThreshold(-1f).build());
        }
        assertThat(matrix.remove("s5")).as("removed").isTrue();
        float[][] vectors = {SubscriptionMatrixBenchmark.unit(random, dim), SubscriptionMatrixBenchmark.unit(random, dim)};
        List<Embedding> chips = List.of(SubscriptionMatrixBenchmark.chip("a"), SubscriptionMatrixBenchmark.chip("b"));
        List<SubscriptionMatrix.Match> matches = matrix.match(vectors, chips);
        assertThat(matches).as("every pair passes a threshold of -1, less the removed one").hasSize(2 * (n - 1));
        for (SubscriptionMatrix.Match match : matches) {
            int i = Integer.parseInt(match.query().getSubscriptionId().substring(1));
            double expected = 0;
            for (int k = 0; k < dim; k++) {
                expected += subs[i][k] * vectors[match.embedding()][k];
            }
            assertThat((double) match.score()).as("score of s%d x chip %d", i, match.embedding())
                    .isCloseTo(expected, Offset.offset(1e-4));
        }
        float[] replacement = SubscriptionMatrixBenchmark.unit(random, dim);
        matrix.put(StandingQuery.newBuilder(SubscriptionMatrixBenchmark.query("new", replacement)).setThreshold(0.999f).build());
        assertThat(matrix.size()).as("a free slot is reused").isEqualTo(n);
        List<SubscriptionMatrix.Match> exact = new ArrayList<>(matrix.match(new float[][] {replacement},
                List.of(SubscriptionMatrixBenchmark.chip("c"))));
        exact.removeIf(m -> !m.query().getSubscriptionId().equals("new"));
        assertThat(exact).as("the new subscription matches its own vector").hasSize(1);
    }
}
