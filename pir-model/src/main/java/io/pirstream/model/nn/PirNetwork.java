package io.pirstream.model.nn;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.ConstantInitializer;
import ai.djl.util.PairList;
import io.pirstream.model.ModelConfig;

/**
 * The whole PIR network: image tower, text tower and the learnable InfoNCE temperature.
 *
 * <p>Inputs: images {@code (B, 3, H, W)}, text input, text mask. Outputs: {@code v_emb (B, d)},
 * {@code t_emb (B, d)}, {@code log(1/temperature)} (scalar, shape {@code (1)}), scene
 * probabilities {@code (B, K)}.
 */
public final class PirNetwork extends AbstractBlock {

    /** Image side. */
    private final ImageTower imageTower;
    /** Text side. */
    private final TextTower textTower;
    /** {@code log(1/temperature)}, learnable. */
    private final Parameter logitScale;

    public PirNetwork(ModelConfig config, int sceneClasses, int vocabularySize) {
        imageTower = addChildBlock("image", new ImageTower(config, sceneClasses));
        textTower = addChildBlock("text", new TextTower(config, vocabularySize));
        logitScale = addParameter(Parameter.builder().setName("logitScale").setType(Parameter.Type.OTHER)
                .optShape(new Shape(1)).optInitializer(new ConstantInitializer((float) Math.log(1.0 / config.temperature()))).build());
    }

    /** The image side alone, for inference. */
    public ImageTower imageTower() {
        return imageTower;
    }

    /** The text side alone, for inference. */
    public TextTower textTower() {
        return textTower;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList image = imageTower.forward(ps, new NDList(inputs.get(0)), training);
        NDList text = textTower.forward(ps, new NDList(inputs.get(1), inputs.get(2)), training);
        return new NDList(image.get(0), text.get(0), ps.getValue(logitScale, inputs.get(0).getDevice(), training), image.get(1));
    }

    /**
     * The same outputs from the image tower's shared trunk map instead of images (training on cached maps):
     * inputs {@code shared (B, C_s, h, w)}, text input, text mask.
     */
    public NDList forwardFromShared(ParameterStore ps, NDList inputs, boolean training) {
        NDList image = imageTower.fromShared(ps, inputs.get(0), training);
        NDList text = textTower.forward(ps, new NDList(inputs.get(1), inputs.get(2)), training);
        return new NDList(image.get(0), text.get(0), ps.getValue(logitScale, inputs.get(0).getDevice(), training), image.get(1));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape[] image = imageTower.getOutputShapes(new Shape[] {inputShapes[0]});
        Shape[] text = textTower.getOutputShapes(new Shape[] {inputShapes[1], inputShapes[2]});
        return new Shape[] {image[0], text[0], new Shape(1), image[1]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        imageTower.initialize(manager, dataType, inputShapes[0]);
        textTower.initialize(manager, dataType, inputShapes[1], inputShapes[2]);
    }
}
