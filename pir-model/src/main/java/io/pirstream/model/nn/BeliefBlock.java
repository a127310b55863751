package io.pirstream.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The belief matrix and the belief strategies of PIR.
 *
 * <p>Inputs: {@code tokens (B, N, d)} (the global token first, then the local tokens) and the
 * instruction {@code f_ins (B, d)} already projected to the token width. Outputs: the re-weighted
 * tokens {@code (B, N, d)} and the belief {@code M (B, N)}.
 *
 * <p>{@code M = softmax_j(f_ins . T_j / sqrt(d))}. The paper writes {@code softmax(f_ins^T T)}; the
 * {@code 1/sqrt(d)} keeps the softmax out of saturation at initialisation, as in attention.
 */
public final class BeliefBlock extends AbstractBlock {

    /** How the belief re-weights the tokens. */
    public enum Strategy {
        /** Tokens pass unchanged (ablation baseline). */
        NONE,
        /** Keep the tokens ranked within the top k (ties included), zero the rest. */
        HARD,
        /** {@code F'_j = F_j * (M_j + 1/sqrt(R_j))} with true ranks {@code R_j}. */
        SOFT
    }

    /** The strategy applied. */
    private final Strategy strategy;
    /** Tokens kept by {@link Strategy#HARD}. */
    private final int topK;

    public BeliefBlock(Strategy strategy, int topK) {
        if (strategy == Strategy.HARD && topK <= 0) {
            throw new IllegalArgumentException("hard belief needs topK > 0: " + topK);
        }
        this.strategy = strategy;
        this.topK = topK;
    }

    /** Strategy of this block. */
    public Strategy strategy() {
        return strategy;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray tokens = inputs.get(0);
        NDArray instruction = inputs.get(1);
        NDArray belief = beliefMatrix(instruction, tokens);
        return new NDList(reweight(tokens, belief, strategy, topK), belief);
    }

    /** {@code M = softmax_j(f_ins . T_j / sqrt(d))}, shape {@code (B, N)}. */
    public static NDArray beliefMatrix(NDArray instruction, NDArray tokens) {
        long d = tokens.getShape().get(2);
        NDArray logits = tokens.matMul(instruction.expandDims(2)).squeeze(2).div((float) Math.sqrt(d));
        return logits.softmax(-1);
    }

    /**
     * True competition ranks: {@code R_j = 1 + #{k : M_k > M_j}}; equal beliefs share a rank.
     * Ranks are constants for the gradient (they are step functions of M).
     */
    public static NDArray ranks(NDArray belief) {
        try (NDArray detached = belief.stopGradient()) {
            // greater[b, j, k] = M[b, k] > M[b, j]
            NDArray greater = detached.expandDims(1).gt(detached.expandDims(2));
            return greater.toType(DataType.FLOAT32, false).sum(new int[] {2}).add(1f);
        }
    }

    /** Applies a strategy to tokens {@code (B, N, d)} given their belief {@code (B, N)}. */
    public static NDArray reweight(NDArray tokens, NDArray belief, Strategy strategy, int topK) {
        switch (strategy) {
            case NONE:
                return tokens;
            case HARD: {
                NDArray keep = ranks(belief).lte((float) topK).toType(DataType.FLOAT32, false);
                return tokens.mul(keep.expandDims(2));
            }
            case SOFT: {
                NDArray weight = belief.add(ranks(belief).sqrt().pow(-1f));
                return tokens.mul(weight.expandDims(2));
            }
            default:
                throw new IllegalStateException("unknown strategy " + strategy);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape t = inputShapes[0];
        return new Shape[] {t, new Shape(t.get(0), t.get(1))};
    }
}
