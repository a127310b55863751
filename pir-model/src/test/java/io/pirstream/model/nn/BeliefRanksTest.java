package io.pirstream.model.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Soft-belief ranks and weights on hand-made beliefs, ties included. */
class BeliefRanksTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void ranksAreCompetitionRanksWithTiesShared() {
        NDArray belief = manager.create(new float[] {0.1f, 0.4f, 0.1f, 0.4f, 0.5f, 0.2f, 0.3f, 0.0f}, new Shape(2, 4));
        float[] ranks = BeliefBlock.ranks(belief).toFloatArray();
        assertThat(ranks).as("row 1 has two ties; row 2 is strictly ordered")
                .containsExactly(3f, 1f, 3f, 1f, 1f, 3f, 2f, 4f);
    }

    @Test
    void ranksAreNotArgsortIndices() {
        // argsort of [0.2, 0.9, 0.5] is [1, 2, 0]; the true ranks are [3, 1, 2]
        NDArray belief = manager.create(new float[] {0.2f, 0.9f, 0.5f}, new Shape(1, 3));
        assertThat(BeliefBlock.ranks(belief).toFloatArray()).as("true ranks").containsExactly(3f, 1f, 2f);
    }

    @Test
    void softBeliefWeightsEachTokenByBeliefPlusInverseRootRank() {
        NDArray belief = manager.create(new float[] {0.1f, 0.4f, 0.1f, 0.4f}, new Shape(1, 4));
        NDArray tokens = manager.ones(new Shape(1, 4, 2));
        float[] out = BeliefBlock.reweight(tokens, belief, BeliefBlock.Strategy.SOFT, 0).toFloatArray();
        float low = 0.1f + (float) (1 / Math.sqrt(3));
        float high = 0.4f + 1f;
        assertThat(out).as("F'_j = F_j * (M_j + 1/sqrt(R_j))")
                .containsExactly(new float[] {low, low, high, high, low, low, high, high}, within(1e-6f));
    }

    @Test
    void hardBeliefKeepsTopKIncludingTies() {
        NDArray belief = manager.create(new float[] {0.1f, 0.4f, 0.1f, 0.4f}, new Shape(1, 4));
        NDArray tokens = manager.ones(new Shape(1, 4, 1));
        assertThat(BeliefBlock.reweight(tokens, belief, BeliefBlock.Strategy.HARD, 1).toFloatArray())
                .as("both tokens tied at rank 1 are kept").containsExactly(0f, 1f, 0f, 1f);
        assertThat(BeliefBlock.reweight(tokens, belief, BeliefBlock.Strategy.HARD, 3).toFloatArray())
                .as("rank 3 is within top 3").containsExactly(1f, 1f, 1f, 1f);
    }

    @Test
    void beliefMatrixIsASoftmaxOverTokens() {
        NDArray tokens = manager.create(new float[] {1, 0, 0, 1, 1, 1}, new Shape(1, 3, 2));
        NDArray instruction = manager.create(new float[] {2, 0}, new Shape(1, 2));
        float[] m = BeliefBlock.beliefMatrix(instruction, tokens).toFloatArray();
        double a = Math.exp(2 / Math.sqrt(2));
        double b = Math.exp(0);
        assertThat(m).as("softmax(f_ins . T_j / sqrt(d))")
                .containsExactly(new float[] {(float) (a / (2 * a + b)), (float) (b / (2 * a + b)), (float) (a / (2 * a + b))}, within(1e-6f));
    }
}
