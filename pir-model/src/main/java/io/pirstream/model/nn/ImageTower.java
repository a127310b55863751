package io.pirstream.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
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
 * The image side of PIR. Input: images {@code (B, 3, H, W)} in [-1, 1]. Outputs: {@code v_emb (B, d)} (unit length)
 * and scene-class probabilities {@code (B, K)} from the instruction encoder.
 *
 * <p>The backbone's lower units are computed once and shared: the frozen instruction encoder and the visual encoder
 * each continue from the shared map with their own upper units ({@link #fromShared}, which training also uses on
 * cached maps).
 */
public final class ImageTower extends AbstractBlock {

    /** Frozen instruction encoder, holding the shared trunk. */
    private final InstructionEncoder instruction;
    /** Visual encoder giving f_cls and F_v. */
    private final VisualEncoder visual;
    /** Projection of f_ins to the token width, for the belief matrix (and PIR-CLIP's instruction token). */
    private final Linear instructionProjection;
    /** Belief matrix and strategy. */
    private final BeliefBlock belief;
    /** Spatial-PAE layers, or PIR-CLIP's encoder layers. */
    private final List<Block> layers = new ArrayList<>();
    /** Whether the layers are PIR-CLIP's plain encoder (the instruction joins as a token) instead of Spatial-PAE. */
    private final boolean plainEncoder;
    /** Head on token 0 of the last layer: f_loc. */
    private final Linear head;
    /** Token width. */
    private final int units;

    public ImageTower(ModelConfig config, int sceneClasses) {
        units = config.width();
        plainEncoder = ModelConfig.TRANSFORMER.equals(config.spatialEncoder());
        instruction = addChildBlock("instruction", new InstructionEncoder(config, sceneClasses));
        visual = addChildBlock("visual", new VisualEncoder(config));
        instructionProjection = addChildBlock("instructionProjection", Linear.builder().setUnits(units).build());
        belief = addChildBlock("belief", new BeliefBlock(config.belief(), config.hardTopK()));
        for (int i = 0; i < config.spatialLayers(); i++) {
            layers.add(plainEncoder
                    ? addChildBlock("encoder" + i, new EncoderLayer(units, config.heads(), units * config.mlpRatio()))
                    : addChildBlock("spatialPae" + i, PaeLayer.spatial(units, config.heads(), units * config.mlpRatio())));
        }
        head = addChildBlock("head", Linear.builder().setUnits(units).build());
    }

    /** The instruction encoder, for its pre-training and freezing. */
    public InstructionEncoder instructionEncoder() {
        return instruction;
    }

    /** The visual encoder. */
    public VisualEncoder visualEncoder() {
        return visual;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        // 0. the shared trunk (frozen)
        NDArray shared = instruction.shared().forward(ps, inputs, false).head().stopGradient();
        return fromShared(ps, shared, training);
    }

    /** The tower's outputs from the shared trunk's output {@code (B, C_s, h, w)}. */
    public NDList fromShared(ParameterStore ps, NDArray shared, boolean training) {
        // 1. frozen instruction: f_ins and scene probabilities (never in training mode)
        NDList ins = instruction.fromShared(ps, shared, false);
        NDArray fIns = ins.get(0).stopGradient();
        NDArray sceneProbabilities = ins.get(1).softmax(-1).stopGradient();
        // 2. visual tokens [f_cls, F_v]
        NDList vis = visual.forward(ps, new NDList(shared), training);
        NDArray fCls = vis.get(0);
        NDArray tokens = NDArrays.concat(new NDList(fCls.expandDims(1), vis.get(1)), 1);
        // 3. belief matrix and re-weighting
        NDArray projected = instructionProjection.forward(ps, new NDList(fIns), training).head();
        NDArray x = belief.forward(ps, new NDList(tokens, projected), training).head();
        // 4. Spatial-PAE, each layer queried by its own projection of f_ins; or PIR-CLIP's plain encoder over the
        //    tokens and the instruction as one more token
        if (plainEncoder && !layers.isEmpty()) {
            x = NDArrays.concat(new NDList(x, projected.expandDims(1)), 1);
        }
        for (Block layer : layers) {
            x = layer.forward(ps, plainEncoder ? new NDList(x) : new NDList(x, fIns), training).head();
        }
        // 5. v_emb = normalize(f_cls + Linear(token_0))
        NDArray local = head.forward(ps, new NDList(x.get(":, 0, :")), training).head();
        return new NDList(normalize(fCls.add(local)), sceneProbabilities);
    }

    /** L2-normalises the rows of {@code (B, d)}. */
    public static NDArray normalize(NDArray x) {
        return x.div(x.norm(new int[] {-1}, true).add(1e-6f));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        long b = inputShapes[0].get(0);
        Shape[] ins = instruction.getOutputShapes(inputShapes);
        return new Shape[] {new Shape(b, units), ins[1]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        long b = inputShapes[0].get(0);
        instruction.initialize(manager, dataType, inputShapes[0]);
        Shape shared = instruction.shared().getOutputShapes(inputShapes)[0];
        visual.initialize(manager, dataType, shared);
        Shape fIns = new Shape(b, instruction.featureUnits());
        instructionProjection.initialize(manager, dataType, fIns);
        Shape tokens = new Shape(b, visual.tokenCount() + 1, units);
        belief.initialize(manager, dataType, tokens, new Shape(b, units));
        Shape layerTokens = plainEncoder ? new Shape(b, visual.tokenCount() + 2, units) : tokens;
        for (Block layer : layers) {
            if (plainEncoder) {
                layer.initialize(manager, dataType, layerTokens);
            } else {
                layer.initialize(manager, dataType, tokens, fIns);
            }
        }
        head.initialize(manager, dataType, new Shape(b, units));
    }

    /** Shape of the shared trunk's output for an input shape. */
    public Shape sharedShape(Shape input) {
        return instruction.shared().getOutputShapes(new Shape[] {input})[0];
    }
}
