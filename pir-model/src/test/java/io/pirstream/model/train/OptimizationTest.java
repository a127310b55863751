package io.pirstream.model.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.Test;

/** A non-finite gradient must neither reach the weights nor linger in the accumulated gradient. */
class OptimizationTest {

    @Test
    void skipsNonFiniteStepsAndRecovers() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Linear linear = Linear.builder().setUnits(2).build();
            linear.initialize(manager, DataType.FLOAT32, new Shape(1, 3));
            Optimization opt = new Optimization(linear, 0.1f, 0f, 0, 10, false, 0);
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray weight = linear.getParameters().get("weight").getArray();
            float[] before = weight.toFloatArray();

            backward(linear, ps, manager.create(new float[] {1, Float.NaN, 2}, new Shape(1, 3)));
            assertThat(opt.step()).as("NaN gradient applied").isFalse();
            assertThat(weight.toFloatArray()).as("weights untouched").containsExactly(before);
            assertThat(weight.getGradient().toFloatArray()).as("gradient reset, not left NaN").containsOnly(0f);

            backward(linear, ps, manager.create(new float[] {1, 2, 3}, new Shape(1, 3)));
            assertThat(opt.step()).as("finite gradient applied").isTrue();
            assertThat(weight.toFloatArray()).as("weights moved").doesNotContain(Float.NaN).isNotEqualTo(before);
        }
    }

    private static void backward(Linear linear, ParameterStore ps, NDArray input) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(linear.forward(ps, new NDList(input), true).head().sum());
        }
    }
}
