package io.pirstream.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;

/**
 * Text token encoder trained from scratch: word embeddings plus learned positions, normalised,
 * then one self-attention encoder layer. Inputs: word ids {@code (B, T)} (int64) and
 * {@code mask (B, T)}. Output: {@code (B, T, d)}.
 */
public final class ScratchTextEncoder extends AbstractBlock {

    /** Word embedding table {@code (V, d)}. */
    private final Parameter words;
    /** Position embedding table {@code (T, d)}. */
    private final Parameter positions;
    /** Normalisation of the summed embeddings. */
    private final LayerNorm norm;
    /** Contextualising layer (self-attention, cross-attention on its own tokens, MLP). */
    private final PaeLayer encoder;
    /** Model width. */
    private final int units;

    public ScratchTextEncoder(int vocabularySize, int maxTokens, int units, int heads) {
        if (vocabularySize < 4) {
            throw new IllegalArgumentException("vocabularySize too small: " + vocabularySize);
        }
        this.units = units;
        words = addParameter(Parameter.builder().setName("words").setType(Parameter.Type.OTHER)
                .optShape(new Shape(vocabularySize, units)).optInitializer(new NormalInitializer(0.02f)).build());
        positions = addParameter(Parameter.builder().setName("positions").setType(Parameter.Type.OTHER)
                .optShape(new Shape(maxTokens, units)).optInitializer(new NormalInitializer(0.02f)).build());
        norm = addChildBlock("norm", LayerNorm.builder().axis(2).build());
        encoder = addChildBlock("encoder", PaeLayer.temporal(units, heads, 2 * units));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.get(0);
        NDArray mask = inputs.get(1);
        long t = ids.getShape().get(1);
        // look up words, add positions, normalise
        NDArray table = ps.getValue(words, ids.getDevice(), training);
        NDArray embedded = Embedding.embedding(ids, table, ai.djl.ndarray.types.SparseFormat.DENSE).head();
        NDArray pos = ps.getValue(positions, ids.getDevice(), training).get("0:" + t);
        NDArray x = norm.forward(ps, new NDList(embedded.add(pos)), training).head();
        return encoder.forward(ps, new NDList(x, mask), training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        return new Shape[] {new Shape(s.get(0), s.get(1), units)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape s = inputShapes[0];
        Shape tokens = new Shape(s.get(0), s.get(1), units);
        norm.initialize(manager, dataType, tokens);
        encoder.initialize(manager, dataType, tokens, inputShapes[1]);
    }
}
