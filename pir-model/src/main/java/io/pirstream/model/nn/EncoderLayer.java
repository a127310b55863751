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
 * A plain post-norm transformer encoder layer (self-attention, then an MLP, each with a residual and LayerNorm): the
 * encoder of PIR-CLIP, which runs it over the belief-weighted visual tokens and the instruction token instead of
 * Spatial-PAE. Input and output: {@code (B, N, d)}.
 */
public final class EncoderLayer extends AbstractBlock {

    /** Self-attention over the tokens. */
    private final MultiHeadAttention attention;
    /** Two-layer GELU MLP. */
    private final SequentialBlock mlp;
    /** Norm after attention. */
    private final LayerNorm attentionNorm;
    /** Norm after the MLP. */
    private final LayerNorm mlpNorm;

    public EncoderLayer(int units, int heads, int mlpUnits) {
        attention = addChildBlock("attention", new MultiHeadAttention(units, heads));
        mlp = addChildBlock("mlp", new SequentialBlock()
                .add(Linear.builder().setUnits(mlpUnits).build())
                .add(Activation::gelu)
                .add(Linear.builder().setUnits(units).build()));
        attentionNorm = addChildBlock("attentionNorm", LayerNorm.builder().axis(2).build());
        mlpNorm = addChildBlock("mlpNorm", LayerNorm.builder().axis(2).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.head();
        // self-attention, residual, normalise
        NDArray a = attention.forward(ps, new NDList(x, x), training).head();
        NDArray s = attentionNorm.forward(ps, new NDList(x.add(a)), training).head();
        // MLP, residual, normalise
        NDArray m = mlp.forward(ps, new NDList(s), training).head();
        return mlpNorm.forward(ps, new NDList(s.add(m)), training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape tokens = inputShapes[0];
        attention.initialize(manager, dataType, tokens, tokens);
        mlp.initialize(manager, dataType, tokens);
        attentionNorm.initialize(manager, dataType, tokens);
        mlpNorm.initialize(manager, dataType, tokens);
    }
}
