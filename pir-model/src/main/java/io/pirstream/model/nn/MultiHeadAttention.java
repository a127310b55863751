package io.pirstream.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Multi-head scaled dot-product attention with separate query and key/value inputs.
 *
 * <p>DJL's {@code ScaledDotProductAttentionBlock} only attends a sequence to itself; the PAE
 * cross-attention needs a query that comes from elsewhere, hence this block.
 *
 * <p>Inputs: {@code query (B, Nq, d)}, {@code keyValue (B, Nk, d)}, optional {@code keyMask (B, Nk)}
 * with 1 for real tokens and 0 for padding. Output: {@code (B, Nq, units)}.
 */
public final class MultiHeadAttention extends AbstractBlock {

    /** Large negative logit given to padded keys. */
    private static final float MASKED_LOGIT = -1e4f;

    /** Width of the output and of each projection. */
    private final int units;
    /** Number of attention heads; divides {@link #units}. */
    private final int heads;
    /** Query projection. */
    private final Linear queryProjection;
    /** Key projection. */
    private final Linear keyProjection;
    /** Value projection. */
    private final Linear valueProjection;
    /** Output projection. */
    private final Linear outputProjection;

    public MultiHeadAttention(int units, int heads) {
        if (units <= 0 || heads <= 0 || units % heads != 0) {
            throw new IllegalArgumentException("units must be a positive multiple of heads: units=" + units + " heads=" + heads);
        }
        this.units = units;
        this.heads = heads;
        queryProjection = addChildBlock("query", Linear.builder().setUnits(units).build());
        keyProjection = addChildBlock("key", Linear.builder().setUnits(units).build());
        valueProjection = addChildBlock("value", Linear.builder().setUnits(units).build());
        outputProjection = addChildBlock("output", Linear.builder().setUnits(units).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray query = inputs.get(0);
        NDArray keyValue = inputs.get(1);
        long batch = query.getShape().get(0);
        long nq = query.getShape().get(1);
        long nk = keyValue.getShape().get(1);
        int headDim = units / heads;
        // project and split into heads: (B, h, N, dh)
        NDArray q = splitHeads(queryProjection.forward(ps, new NDList(query), training).head(), batch, nq, headDim);
        NDArray k = splitHeads(keyProjection.forward(ps, new NDList(keyValue), training).head(), batch, nk, headDim);
        NDArray v = splitHeads(valueProjection.forward(ps, new NDList(keyValue), training).head(), batch, nk, headDim);
        // scaled dot products (B, h, Nq, Nk)
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).div((float) Math.sqrt(headDim));
        if (inputs.size() > 2) {
            // padded keys get a large negative logit
            NDArray mask = inputs.get(2).toType(DataType.FLOAT32, false).sub(1f).mul(-MASKED_LOGIT);
            scores = scores.add(mask.reshape(batch, 1, 1, nk));
        }
        NDArray attended = scores.softmax(-1).matMul(v);
        // merge heads and project
        NDArray merged = attended.transpose(0, 2, 1, 3).reshape(batch, nq, units);
        return outputProjection.forward(ps, new NDList(merged), training);
    }

    private NDArray splitHeads(NDArray x, long batch, long n, int headDim) {
        return x.reshape(batch, n, heads, headDim).transpose(0, 2, 1, 3);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape q = inputShapes[0];
        return new Shape[] {new Shape(q.get(0), q.get(1), units)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        queryProjection.initialize(manager, dataType, inputShapes[0]);
        keyProjection.initialize(manager, dataType, inputShapes[1]);
        valueProjection.initialize(manager, dataType, inputShapes[1]);
        Shape q = inputShapes[0];
        outputProjection.initialize(manager, dataType, new Shape(q.get(0), q.get(1), units));
    }
}
