package io.pirstream.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * One layer of the progressive attention encoder (PAE): self-attention over the tokens, then
 * cross-attention whose keys and values are the self-attention output, then an MLP; each step
 * with a residual connection and LayerNorm, as in a post-norm transformer encoder layer.
 *
 * <p>The two PIR variants differ only in where the cross-attention query comes from:
 *
 * <ul>
 *   <li>{@link #spatial Spatial-PAE}: {@code W_s^i f_ins}, a per-layer linear projection of the
 *       instruction vector, repeated at every token position. Inputs: {@code tokens (B, N, d)},
 *       {@code instruction (B, d_ins)}.
 *   <li>{@link #temporal Temporal-PAE}: {@code W_t^i X}, a per-layer linear projection of the
 *       layer's input tokens (the previous layer's output). Inputs: {@code tokens (B, T, d)},
 *       {@code mask (B, T)}.
 * </ul>
 *
 * Output: {@code (B, N, d)}.
 */
public final class PaeLayer extends AbstractBlock {

    /** Where the cross-attention query comes from. */
    public enum QuerySource { INSTRUCTION, PREVIOUS_TOKENS }

    /** Query source of this layer. */
    private final QuerySource querySource;
    /** Token width. */
    private final int units;
    /** Self-attention over the tokens. */
    private final MultiHeadAttention selfAttention;
    /** Cross-attention with the projected query. */
    private final MultiHeadAttention crossAttention;
    /** The per-layer query projection {@code W^i}. */
    private final Linear queryProjection;
    /** Two-layer GELU MLP. */
    private final SequentialBlock mlp;
    /** Norm after self-attention. */
    private final LayerNorm selfNorm;
    /** Norm after cross-attention. */
    private final LayerNorm crossNorm;
    /** Norm after the MLP. */
    private final LayerNorm mlpNorm;

    private PaeLayer(QuerySource querySource, int units, int heads, int mlpUnits) {
        if (mlpUnits <= 0) {
            throw new IllegalArgumentException("mlpUnits must be positive: " + mlpUnits);
        }
        this.querySource = querySource;
        this.units = units;
        selfAttention = addChildBlock("selfAttention", new MultiHeadAttention(units, heads));
        crossAttention = addChildBlock("crossAttention", new MultiHeadAttention(units, heads));
        queryProjection = addChildBlock("queryProjection", Linear.builder().setUnits(units).build());
        mlp = addChildBlock("mlp", new SequentialBlock()
                .add(Linear.builder().setUnits(mlpUnits).build())
                .add(Activation::gelu)
                .add(Linear.builder().setUnits(units).build()));
        selfNorm = addChildBlock("selfNorm", LayerNorm.builder().axis(2).build());
        crossNorm = addChildBlock("crossNorm", LayerNorm.builder().axis(2).build());
        mlpNorm = addChildBlock("mlpNorm", LayerNorm.builder().axis(2).build());
    }

    /** A Spatial-PAE layer (query from the instruction). */
    public static PaeLayer spatial(int units, int heads, int mlpUnits) {
        return new PaeLayer(QuerySource.INSTRUCTION, units, heads, mlpUnits);
    }

    /** A Temporal-PAE layer (query from the previous layer's tokens). */
    public static PaeLayer temporal(int units, int heads, int mlpUnits) {
        return new PaeLayer(QuerySource.PREVIOUS_TOKENS, units, heads, mlpUnits);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray tokens = inputs.get(0);
        NDArray mask = querySource == QuerySource.PREVIOUS_TOKENS && inputs.size() > 1 ? inputs.get(1) : null;
        long n = tokens.getShape().get(1);
        // self-attention, residual, normalise
        NDList selfIn = mask == null ? new NDList(tokens, tokens) : new NDList(tokens, tokens, mask);
        NDArray attended = selfAttention.forward(ps, selfIn, training).head();
        NDArray s = norm(ps, selfNorm, tokens.add(attended), training);
        // the cross-attention query: projected instruction repeated per position, or projected input tokens
        NDArray query;
        if (querySource == QuerySource.INSTRUCTION) {
            NDArray projected = queryProjection.forward(ps, new NDList(inputs.get(1)), training).head();
            query = projected.expandDims(1).repeat(1, n);
        } else {
            query = queryProjection.forward(ps, new NDList(tokens), training).head();
        }
        // cross-attention over the self-attention output, residual, normalise
        NDList crossIn = mask == null ? new NDList(query, s) : new NDList(query, s, mask);
        NDArray crossed = crossAttention.forward(ps, crossIn, training).head();
        NDArray c = norm(ps, crossNorm, s.add(crossed), training);
        // MLP, residual, normalise
        NDArray m = mlp.forward(ps, new NDList(c), training).head();
        return new NDList(norm(ps, mlpNorm, c.add(m), training));
    }

    private static NDArray norm(ParameterStore ps, LayerNorm norm, NDArray x, boolean training) {
        return norm.forward(ps, new NDList(x), training).head();
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape tokens = inputShapes[0];
        selfAttention.initialize(manager, dataType, tokens, tokens);
        crossAttention.initialize(manager, dataType, tokens, tokens);
        queryProjection.initialize(manager, dataType, querySource == QuerySource.INSTRUCTION ? inputShapes[1] : tokens);
        mlp.initialize(manager, dataType, tokens);
        selfNorm.initialize(manager, dataType, tokens);
        crossNorm.initialize(manager, dataType, tokens);
        mlpNorm.initialize(manager, dataType, tokens);
    }

    /** Token width of this layer. */
    public int units() {
        return units;
    }
}
