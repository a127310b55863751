package io.pirstream.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.pirstream.model.ModelConfig;
import java.util.List;

/**
 * The instruction encoder {@code E_ins}: a MobileNet fine-tuned on remote-sensing scene classification, then frozen.
 * Its lower units (the shared trunk) also feed the visual encoder.
 *
 * <p>Input: images {@code (B, 3, H, W)} in [-1, 1]. Outputs: {@code f_ins (B, C)} (pooled features of the last
 * unit) and scene-class logits {@code (B, K)}. {@link #fromShared} starts from the trunk's output instead.
 */
public final class InstructionEncoder extends AbstractBlock {

    /** Units shared with the visual encoder. */
    private final SequentialBlock shared;
    /** The instruction encoder's own upper units. */
    private final SequentialBlock top;
    /** Scene classifier on the pooled features. */
    private final Linear classifier;
    /** Feature width {@code C}. */
    private final int featureUnits;
    /** Number of scene classes {@code K}. */
    private final int classes;

    public InstructionEncoder(ModelConfig config, int classes) {
        if (classes < 2) {
            throw new IllegalArgumentException("need at least 2 scene classes: " + classes);
        }
        this.classes = classes;
        this.featureUnits = MobileNet.featureChannels(config.variant(), config.widthMultiplier());
        List<AbstractBlock> units = MobileNet.units(config.variant(), config.widthMultiplier());
        shared = addChildBlock("shared", sequence(units.subList(0, config.sharedUnits())));
        top = addChildBlock("top", sequence(units.subList(config.sharedUnits(), units.size())));
        classifier = addChildBlock("classifier", Linear.builder().setUnits(classes).build());
    }

    static SequentialBlock sequence(List<AbstractBlock> units) {
        SequentialBlock block = new SequentialBlock();
        units.forEach(block::add);
        return block;
    }

    /** Width of {@code f_ins}. */
    public int featureUnits() {
        return featureUnits;
    }

    /** The shared trunk (its output feeds both encoders). */
    public SequentialBlock shared() {
        return shared;
    }

    /** The upper units, in order (for loading pre-trained weights and copying them to the visual encoder). */
    public SequentialBlock top() {
        return top;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray map = shared.forward(ps, inputs, training).head();
        return fromShared(ps, map, training);
    }

    /** {@code f_ins} and the scene logits from the shared trunk's output {@code (B, C_s, h, w)}. */
    public NDList fromShared(ParameterStore ps, NDArray sharedMap, boolean training) {
        NDArray map = top.forward(ps, new NDList(sharedMap), training).head();
        NDArray features = globalAveragePool(map);
        NDArray logits = classifier.forward(ps, new NDList(features), training).head();
        return new NDList(features, logits);
    }

    /** Global average pooling of a {@code (B, C, h, w)} map to {@code (B, C)}. */
    public static NDArray globalAveragePool(NDArray map) {
        return map.mean(new int[] {3}).mean(new int[] {2});
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        long b = inputShapes[0].get(0);
        return new Shape[] {new Shape(b, featureUnits), new Shape(b, classes)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        shared.initialize(manager, dataType, inputShapes[0]);
        Shape map = shared.getOutputShapes(inputShapes)[0];
        top.initialize(manager, dataType, map);
        classifier.initialize(manager, dataType, new Shape(inputShapes[0].get(0), featureUnits));
    }
}
