package io.pirstream.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import io.pirstream.model.ModelConfig;
import java.util.List;

/**
 * The visual encoder {@code E_img}: its own copy of the backbone's upper units over the shared trunk, whose last
 * spatial map gives the local tokens.
 *
 * <p>Input: the shared trunk's output {@code (B, C_s, h, w)}. Outputs: the global token {@code f_cls (B, d)}
 * (projected global average pool) and local tokens {@code F_v (B, n, d)} (each cell of the stride-32 map projected,
 * plus a learned position embedding).
 */
public final class VisualEncoder extends AbstractBlock {

    /** The upper backbone units (fine-tuned, or frozen: a training choice). */
    private final SequentialBlock top;
    /** Projection of the pooled map to {@code f_cls}. */
    private final Linear globalProjection;
    /** Projection of each map cell to a local token. */
    private final Linear tokenProjection;
    /** Learned position embedding, {@code (1, n, d)}. */
    private final Parameter positions;
    /** Token width {@code d}. */
    private final int units;
    /** Number of local tokens {@code n}. */
    private final int tokens;
    /** Channels of the last map. */
    private final int mapUnits;

    public VisualEncoder(ModelConfig config) {
        this.units = config.width();
        this.tokens = config.visualTokens();
        this.mapUnits = MobileNet.featureChannels(config.variant(), config.widthMultiplier());
        List<AbstractBlock> all = MobileNet.units(config.variant(), config.widthMultiplier());
        top = addChildBlock("top", InstructionEncoder.sequence(all.subList(config.sharedUnits(), all.size())));
        globalProjection = addChildBlock("globalProjection", Linear.builder().setUnits(units).build());
        tokenProjection = addChildBlock("tokenProjection", Linear.builder().setUnits(units).build());
        positions = addParameter(Parameter.builder().setName("positions").setType(Parameter.Type.OTHER)
                .optShape(new Shape(1, tokens, units)).optInitializer(new NormalInitializer(0.02f)).build());
    }

    /** Number of local tokens. */
    public int tokenCount() {
        return tokens;
    }

    /** The upper backbone units (initialised from the instruction encoder's, then fine-tuned or frozen). */
    public SequentialBlock top() {
        return top;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray map = top.forward(ps, inputs, training).head();
        long b = map.getShape().get(0);
        // global token from the pooled map
        NDArray global = globalProjection.forward(ps, new NDList(InstructionEncoder.globalAveragePool(map)), training).head();
        // one token per map cell, plus its position
        NDArray cells = map.reshape(b, mapUnits, tokens).transpose(0, 2, 1);
        NDArray local = tokenProjection.forward(ps, new NDList(cells), training).head();
        local = local.add(ps.getValue(positions, local.getDevice(), training));
        return new NDList(global, local);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        long b = inputShapes[0].get(0);
        return new Shape[] {new Shape(b, units), new Shape(b, tokens, units)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        long b = inputShapes[0].get(0);
        top.initialize(manager, dataType, inputShapes[0]);
        Shape map = top.getOutputShapes(inputShapes)[0];
        if (map.get(2) * map.get(3) != tokens) {
            throw new IllegalArgumentException("the backbone's last map is " + map + ", expected " + tokens + " cells");
        }
        globalProjection.initialize(manager, dataType, new Shape(b, mapUnits));
        tokenProjection.initialize(manager, dataType, new Shape(b, tokens, mapUnits));
    }
}
