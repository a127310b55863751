package io.pirstream.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.pirstream.model.ModelConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The text side of PIR. Inputs: the token encoder's input (sentence-encoder states
 * {@code (B, T, s)} or word ids {@code (B, T)}) and {@code mask (B, T)}. Output: {@code t_emb (B, d)}
 * (unit length).
 */
public final class TextTower extends AbstractBlock {

    /** Token encoder: {@link StateProjection} or {@link ScratchTextEncoder}. */
    private final Block tokenEncoder;
    /** Projection of the masked mean of the tokens: t_cls. */
    private final Linear sentenceProjection;
    /** Temporal-PAE layers. */
    private final List<PaeLayer> layers = new ArrayList<>();
    /** Head on token 0 of the last layer. */
    private final Linear head;
    /** Token width. */
    private final int units;

    public TextTower(ModelConfig config, int vocabularySize) {
        units = config.width();
        tokenEncoder = addChildBlock("tokens", ModelConfig.SCRATCH.equals(config.textEncoder())
                ? new ScratchTextEncoder(vocabularySize, config.maxTokens(), units, config.heads())
                : new StateProjection(units));
        sentenceProjection = addChildBlock("sentenceProjection", Linear.builder().setUnits(units).build());
        for (int i = 0; i < config.temporalLayers(); i++) {
            layers.add(addChildBlock("temporalPae" + i, PaeLayer.temporal(units, config.heads(), units * config.mlpRatio())));
        }
        head = addChildBlock("head", Linear.builder().setUnits(units).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray mask = inputs.get(1).toType(DataType.FLOAT32, false);
        // 1. encode tokens
        NDArray x = tokenEncoder.forward(ps, inputs, training).head();
        // 2. t_cls from the masked mean of the tokens
        NDArray m = mask.expandDims(2);
        NDArray mean = x.mul(m).sum(new int[] {1}).div(m.sum(new int[] {1}).maximum(1f));
        NDArray tCls = sentenceProjection.forward(ps, new NDList(mean), training).head();
        // 3. Temporal-PAE, each layer queried by a projection of its input tokens
        for (PaeLayer layer : layers) {
            x = layer.forward(ps, new NDList(x, mask), training).head();
        }
        // 4. t_emb = normalize(t_cls + Linear(token_0))
        NDArray local = head.forward(ps, new NDList(x.get(":, 0, :")), training).head();
        return new NDList(ImageTower.normalize(tCls.add(local)));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), units)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        long b = inputShapes[0].get(0);
        long t = inputShapes[0].get(1);
        tokenEncoder.initialize(manager, dataType, inputShapes);
        Shape tokens = new Shape(b, t, units);
        sentenceProjection.initialize(manager, dataType, new Shape(b, units));
        for (PaeLayer layer : layers) {
            layer.initialize(manager, dataType, tokens, inputShapes[1]);
        }
        head.initialize(manager, dataType, new Shape(b, units));
    }
}
