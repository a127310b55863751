package io.pirstream.model.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.util.Pair;
import io.pirstream.model.ModelConfig;
import io.pirstream.model.TinyModels;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Output shapes and gradient flow of every block. */
class BlockGradientTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(7);
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private NDArray randn(long... shape) {
        return manager.randomNormal(new Shape(shape));
    }

    /** Forward in training mode, backprop the sum of the outputs, check shapes and gradients. */
    private NDList check(Block block, NDList inputs, Shape[] expected, boolean allParametersGetGradient) {
        block.setInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
        block.initialize(manager, DataType.FLOAT32, inputs.getShapes());
        ParameterStore ps = new ParameterStore(manager, false);
        NDList out;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            out = block.forward(ps, inputs, true);
            NDArray loss = null;
            for (NDArray o : out) {
                // weight outputs by random factors so normalised outputs still get gradients
                NDArray term = o.mul(manager.randomNormal(o.getShape())).sum();
                loss = loss == null ? term : loss.add(term);
            }
            gc.backward(loss);
        }
        assertThat(out.getShapes()).as("output shapes of %s", block.getClass().getSimpleName()).containsExactly(expected);
        assertThat(block.getOutputShapes(inputs.getShapes())).as("declared output shapes of %s", block.getClass().getSimpleName())
                .containsExactly(expected);
        int withGradient = 0;
        for (Pair<String, Parameter> p : block.getParameters()) {
            if (!p.getValue().requiresGradient()) {
                continue;
            }
            NDArray grad = p.getValue().getArray().getGradient();
            float magnitude = grad.abs().sum().getFloat();
            boolean flows = magnitude > 0f;
            if (allParametersGetGradient) {
                assertThat(magnitude).as("gradient reaches %s (sum of |grad|)", p.getKey()).isFinite().isPositive();
            }
            withGradient += flows ? 1 : 0;
        }
        assertThat(withGradient).as("some parameter of %s gets a gradient", block.getClass().getSimpleName()).isPositive();
        return out;
    }

    @Test
    void multiHeadAttentionWithSeparateQueryAndMask() {
        NDArray mask = manager.create(new float[] {1, 1, 1, 0, 1, 1, 0, 0}, new Shape(2, 4));
        check(new MultiHeadAttention(8, 2), new NDList(randn(2, 3, 8), randn(2, 4, 8), mask),
                new Shape[] {new Shape(2, 3, 8)}, true);
    }

    @Test
    void spatialPaeLayer() {
        check(PaeLayer.spatial(8, 2, 16), new NDList(randn(2, 5, 8), randn(2, 12)), new Shape[] {new Shape(2, 5, 8)}, true);
    }

    @Test
    void temporalPaeLayer() {
        NDArray mask = manager.create(new float[] {1, 1, 1, 1, 1, 1, 0, 0}, new Shape(2, 4));
        check(PaeLayer.temporal(8, 2, 16), new NDList(randn(2, 4, 8), mask), new Shape[] {new Shape(2, 4, 8)}, true);
    }

    @Test
    void beliefBlockPassesGradientToTokensAndInstruction() {
        NDArray tokens = randn(2, 5, 8);
        NDArray instruction = randn(2, 8);
        tokens.setRequiresGradient(true);
        instruction.setRequiresGradient(true);
        BeliefBlock block = new BeliefBlock(BeliefBlock.Strategy.SOFT, 2);
        NDList out;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            out = block.forward(new ParameterStore(manager, false), new NDList(tokens, instruction), true);
            gc.backward(out.get(0).mul(randn(2, 5, 8)).sum());
        }
        assertThat(out.getShapes()).as("belief outputs").containsExactly(new Shape(2, 5, 8), new Shape(2, 5));
        assertThat(tokens.getGradient().abs().sum().getFloat()).as("gradient to tokens").isPositive();
        assertThat(instruction.getGradient().abs().sum().getFloat()).as("gradient to the instruction through M").isPositive();
    }

    @Test
    void instructionEncoder() {
        check(new InstructionEncoder(TinyModels.config(ModelConfig.MINILM, BeliefBlock.Strategy.SOFT), 5), new NDList(randn(2, 3, 64, 64)),
                new Shape[] {new Shape(2, 128), new Shape(2, 5)}, true);
    }

    @Test
    void visualEncoder() {
        // input: the shared trunk's map of a 64 px image (64 channels at stride 16)
        check(new VisualEncoder(TinyModels.config(ModelConfig.MINILM, BeliefBlock.Strategy.SOFT)), new NDList(randn(2, 64, 4, 4)),
                new Shape[] {new Shape(2, 16), new Shape(2, 4, 16)}, true);
    }

    @Test
    void imageTowerWithFrozenInstruction() {
        for (BeliefBlock.Strategy s : BeliefBlock.Strategy.values()) {
            ImageTower tower = new ImageTower(TinyModels.config(ModelConfig.MINILM, s), 5);
            tower.setInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
            tower.initialize(manager, DataType.FLOAT32, new Shape(2, 3, 64, 64));
            tower.instructionEncoder().freezeParameters(true);
            NDList out = check(tower, new NDList(randn(2, 3, 64, 64)), new Shape[] {new Shape(2, 16), new Shape(2, 5)}, s == BeliefBlock.Strategy.SOFT);
            assertThat(out.get(0).norm(new int[] {1}).toFloatArray()).as("v_emb is unit length (%s)", s)
                    .containsOnly(new float[] {1f, 1f}, org.assertj.core.data.Offset.offset(1e-4f));
            assertThat(tower.instructionEncoder().getParameters().values()).as("instruction encoder frozen")
                    .noneMatch(Parameter::requiresGradient);
        }
    }

    @Test
    void pirClipVariantRunsAPlainEncoderOverTheTokensAndTheInstruction() {
        ModelConfig tiny = TinyModels.config(ModelConfig.MINILM, BeliefBlock.Strategy.SOFT);
        ModelConfig clip = new ModelConfig(tiny.imageSize(), tiny.backbone(), tiny.widthMultiplier(), tiny.sharedUnits(), tiny.width(),
                tiny.heads(), tiny.mlpRatio(), 2, tiny.temporalLayers(), BeliefBlock.Strategy.SOFT, tiny.hardTopK(), ModelConfig.TRANSFORMER,
                tiny.textEncoder(), tiny.maxTokens(), tiny.temperature());
        ImageTower tower = new ImageTower(clip, 5);
        tower.setInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
        tower.initialize(manager, DataType.FLOAT32, new Shape(2, 3, 64, 64));
        tower.instructionEncoder().freezeParameters(true);
        check(tower, new NDList(randn(2, 3, 64, 64)), new Shape[] {new Shape(2, 16), new Shape(2, 5)}, true);
    }

    @Test
    void textTowerOnSentenceStates() {
        NDArray mask = manager.create(new float[] {1, 1, 1, 1, 1, 1, 0, 0}, new Shape(2, 4));
        check(new TextTower(TinyModels.config(ModelConfig.MINILM, BeliefBlock.Strategy.SOFT), 0), new NDList(randn(2, 4, 384), mask),
                new Shape[] {new Shape(2, 16)}, true);
    }

    @Test
    void textTowerFromScratch() {
        NDArray ids = manager.create(new long[] {2, 5, 6, 7, 2, 8, 0, 0}, new Shape(2, 4));
        NDArray mask = manager.create(new float[] {1, 1, 1, 1, 1, 1, 0, 0}, new Shape(2, 4));
        check(new TextTower(TinyModels.config(ModelConfig.SCRATCH, BeliefBlock.Strategy.SOFT), 10), new NDList(ids, mask),
                new Shape[] {new Shape(2, 16)}, false);
    }

    @Test
    void wholeNetwork() {
        NDArray mask = manager.create(new float[] {1, 1, 1, 1, 1, 1, 0, 0}, new Shape(2, 4));
        Function<Integer, PirNetwork> make = k -> new PirNetwork(TinyModels.config(ModelConfig.MINILM, BeliefBlock.Strategy.SOFT), k, 0);
        check(make.apply(5), new NDList(randn(2, 3, 64, 64), randn(2, 4, 384), mask),
                new Shape[] {new Shape(2, 16), new Shape(2, 16), new Shape(1), new Shape(2, 5)}, false);
    }
}
