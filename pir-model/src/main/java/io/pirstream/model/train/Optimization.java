package io.pirstream.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.ArrayList;
import java.util.List;

/**
 * AdamW with linear warm-up then cosine (or constant) learning rate, applied to the trainable parameters of one or
 * more groups, each at its own peak rate (a fine-tuned backbone learns slower than the layers above it). Gradients
 * are zeroed after each step (PyTorch accumulates them).
 *
 * <p>A step whose gradients are not all finite is skipped as a whole: one NaN applied by AdamW makes every weight
 * NaN, and a NaN network ranks every candidate equally, which naive recall counts as a hit.
 */
final class Optimization {

    /** Parameters trained at one peak learning rate. */
    record Group(List<Parameter> parameters, float lr) {
    }

    private final List<Group> groups;
    private final List<Optimizer> optimizers = new ArrayList<>();

    Optimization(Block block, float lr, float weightDecay, int warmupSteps, int totalSteps, boolean cosine, int stepOffset) {
        this(List.of(new Group(List.copyOf(block.getParameters().values()), lr)), weightDecay, warmupSteps, totalSteps, cosine, stepOffset);
    }

    Optimization(List<Group> groups, float weightDecay, int warmupSteps, int totalSteps, boolean cosine, int stepOffset) {
        this.groups = List.copyOf(groups);
        for (Group g : groups) {
            float lr = g.lr();
            Tracker main = cosine
                    ? Tracker.cosine().setBaseValue(lr).optFinalValue(lr * 0.02f).setMaxUpdates(Math.max(1, totalSteps - warmupSteps)).build()
                    : Tracker.fixed(lr);
            Tracker tracker = warmupSteps > 0
                    ? Tracker.warmUp().optWarmUpBeginValue(lr * 0.01f).optWarmUpSteps(warmupSteps).setMainTracker(main).build()
                    : main;
            Tracker shifted = stepOffset == 0 ? tracker : n -> tracker.getNewValue(n + stepOffset);
            optimizers.add(Optimizer.adamW().optLearningRateTracker(shifted).optWeightDecays(weightDecay).optClipGrad(5f).build());
        }
    }

    /**
     * One update of every trainable parameter that has a gradient, unless some gradient is NaN or infinite;
     * gradients are reset to zero either way.
     *
     * @return whether the update was applied
     */
    boolean step() {
        List<List<Parameter>> withGradient = new ArrayList<>();
        List<NDArray> gradients = new ArrayList<>();
        for (Group g : groups) {
            List<Parameter> ps = new ArrayList<>();
            for (Parameter parameter : g.parameters()) {
                if (parameter.requiresGradient() && parameter.getArray().hasGradient()) {
                    ps.add(parameter);
                    gradients.add(parameter.getArray().getGradient());
                }
            }
            withGradient.add(ps);
        }
        boolean finite = allFinite(gradients);
        for (int g = 0; g < groups.size(); g++) {
            for (Parameter parameter : withGradient.get(g)) {
                NDArray gradient = parameter.getArray().getGradient();
                if (finite) {
                    optimizers.get(g).update(parameter.getId(), parameter.getArray(), gradient);
                }
                // set, not subtract: NaN - NaN is NaN, and backward() accumulates into this buffer
                gradient.set(new NDIndex("..."), 0f);
            }
        }
        return finite;
    }

    private static boolean allFinite(List<NDArray> gradients) {
        // NaN and infinity both survive a sum of squares: one device sync decides the whole step
        try (NDScope ignored = new NDScope()) {
            NDArray squares = null;
            for (NDArray gradient : gradients) {
                NDArray sum = gradient.square().sum();
                squares = squares == null ? sum : squares.add(sum);
            }
            return squares == null || Float.isFinite(squares.getFloat());
        }
    }
}
