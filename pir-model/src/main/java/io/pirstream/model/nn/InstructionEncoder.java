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

/**
 * The instruction encoder {@code E_ins}: a ResNet trained on scene classification, then frozen.
 *
 * <p>Input: images {@code (B, 3, H, W)}. Outputs: {@code f_ins (B, C)} (globally pooled features)
 * and scene-class logits {@code (B, K)}.
 */
public final class InstructionEncoder extends AbstractBlock {

    /** Convolutional feature extractor. */
    private final SequentialBlock backbone;
    /** Scene classifier on the pooled features. */
    private final Linear classifier;
    /** Feature width {@code C}. */
    private final int featureUnits;
    /** Number of scene classes {@code K}. */
    private final int classes;

    public InstructionEncoder(int[] widths, int unitsPerStage, int classes) {
        if (classes < 2) {
            throw new IllegalArgumentException("need at least 2 scene classes: " + classes);
        }
        this.featureUnits = widths[widths.length - 1];
        this.classes = classes;
        backbone = addChildBlock("backbone", ResNetBackbone.build(widths, unitsPerStage));
        classifier = addChildBlock("classifier", Linear.builder().setUnits(classes).build());
    }

    /** Width of {@code f_ins}. */
    public int featureUnits() {
        return featureUnits;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray map = backbone.forward(ps, inputs, training).head();
        NDArray features = ResNetBackbone.globalAveragePool(map);
        NDArray logits = classifier.forward(ps, new NDList(features), training).head();
        return new NDList(features, logits);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        long b = inputShapes[0].get(0);
        return new Shape[] {new Shape(b, featureUnits), new Shape(b, classes)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        backbone.initialize(manager, dataType, inputShapes[0]);
        classifier.initialize(manager, dataType, new Shape(inputShapes[0].get(0), featureUnits));
    }
}
