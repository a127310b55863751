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

/**
 * The visual encoder {@code E_img}: a ResNet whose spatial map gives the local tokens.
 *
 * <p>Input: images {@code (B, 3, H, W)}. Outputs: the global token {@code f_cls (B, d)}
 * (projected global average pool) and local tokens {@code F_v (B, h*w, d)} (projected map cells
 * plus a learned position embedding).
 */
public final class VisualEncoder extends AbstractBlock {

    /** Convolutional feature extractor. */
    private final SequentialBlock backbone;
    /** Projection of the pooled map to {@code f_cls}. */
    private final Linear globalProjection;
    /** Projection of each map cell to a local token. */
    private final Linear tokenProjection;
    /** Learned position embedding, {@code (1, h*w, d)}. */
    private final Parameter positions;
    /** Token width {@code d}. */
    private final int units;
    /** Number of local tokens {@code h*w}. */
    private final int tokens;
    /** Width of the backbone's last stage. */
    private final int mapUnits;

    public VisualEncoder(int[] widths, int unitsPerStage, int imageSize, int units) {
        int side = imageSize / ResNetBackbone.stride(widths.length);
        if (side < 1 || imageSize % ResNetBackbone.stride(widths.length) != 0) {
            throw new IllegalArgumentException("imageSize must be a multiple of " + ResNetBackbone.stride(widths.length) + ": " + imageSize);
        }
        this.units = units;
        this.tokens = side * side;
        this.mapUnits = widths[widths.length - 1];
        backbone = addChildBlock("backbone", ResNetBackbone.build(widths, unitsPerStage));
        globalProjection = addChildBlock("globalProjection", Linear.builder().setUnits(units).build());
        tokenProjection = addChildBlock("tokenProjection", Linear.builder().setUnits(units).build());
        positions = addParameter(Parameter.builder().setName("positions").setType(Parameter.Type.OTHER)
                .optShape(new Shape(1, tokens, units)).optInitializer(new NormalInitializer(0.02f)).build());
    }

    /** Number of local tokens. */
    public int tokenCount() {
        return tokens;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray map = backbone.forward(ps, inputs, training).head();
        long b = map.getShape().get(0);
        // global token from the pooled map
        NDArray global = globalProjection.forward(ps, new NDList(ResNetBackbone.globalAveragePool(map)), training).head();
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
        backbone.initialize(manager, dataType, inputShapes[0]);
        globalProjection.initialize(manager, dataType, new Shape(b, mapUnits));
        tokenProjection.initialize(manager, dataType, new Shape(b, tokens, mapUnits));
    }
}
