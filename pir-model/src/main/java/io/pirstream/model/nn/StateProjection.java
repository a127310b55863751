package io.pirstream.model.nn;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Text token encoder over a frozen pre-trained sentence encoder: projects its token states
 * {@code (B, T, s)} to the model width {@code (B, T, d)} and normalises them. The sentence encoder
 * itself runs outside the network (ONNX Runtime), so that its states can be cached for training.
 */
public final class StateProjection extends AbstractBlock {

    /** Linear map from the encoder's width to the model width. */
    private final Linear projection;
    /** Normalisation of the projected tokens. */
    private final LayerNorm norm;
    /** Model width. */
    private final int units;

    public StateProjection(int units) {
        this.units = units;
        projection = addChildBlock("projection", Linear.builder().setUnits(units).build());
        norm = addChildBlock("norm", LayerNorm.builder().axis(2).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList projected = projection.forward(ps, new NDList(inputs.get(0)), training);
        return norm.forward(ps, projected, training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        return new Shape[] {new Shape(s.get(0), s.get(1), units)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        projection.initialize(manager, dataType, inputShapes[0]);
        Shape s = inputShapes[0];
        norm.initialize(manager, dataType, new Shape(s.get(0), s.get(1), units));
    }
}
