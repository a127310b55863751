package io.pirstream.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;

/**
 * AdamW with linear warm-up then cosine (or constant) learning rate, applied to the trainable
 * parameters of a block. Gradients are zeroed after each step (PyTorch accumulates them).
 *
 * <p>A step whose gradients are not all finite is skipped: one NaN applied by AdamW makes every
 * weight NaN, and a NaN network ranks every candidate equally, which naive recall counts as a hit.
 */
final class Optimization {

    private final Optimizer optimizer;
    private final Block block;

    Optimization(Block block, float lr, float weightDecay, int warmupSteps, int totalSteps, boolean cosine, int stepOffset) {
        this.block = block;
        Tracker main = cosine
                ? Tracker.cosine().setBaseValue(lr).optFinalValue(lr * 0.02f).setMaxUpdates(Math.max(1, totalSteps - warmupSteps)).build()
                : Tracker.fixed(lr);
        Tracker tracker = warmupSteps > 0
                ? Tracker.warmUp().optWarmUpBeginValue(lr * 0.01f).optWarmUpSteps(warmupSteps).setMainTracker(main).build()
                : main;
        Tracker shifted = stepOffset == 0 ? tracker : n -> tracker.getNewValue(n + stepOffset);
        optimizer = Optimizer.adamW().optLearningRateTracker(shifted).optWeightDecays(weightDecay).optClipGrad(5f).build();
    }

    /**
     * One update of every trainable parameter that has a gradient, unless some gradient is NaN or
     * infinite; gradients are reset to zero either way.
     *
     * @return whether the update was applied
     */
    boolean step() {
        List<Pair<Parameter, NDArray>> updates = new ArrayList<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            Parameter parameter = p.getValue();
            if (parameter.requiresGradient() && parameter.getArray().hasGradient()) {
                updates.add(new Pair<>(parameter, parameter.getArray().getGradient()));
            }
        }
        boolean finite = allFinite(updates);
        for (Pair<Parameter, NDArray> update : updates) {
            if (finite) {
                optimizer.update(update.getKey().getId(), update.getKey().getArray(), update.getValue());
            }
            // set, not subtract: NaN - NaN is NaN, and backward() accumulates into this buffer
            update.getValue().set(new NDIndex("..."), 0f);
        }
        return finite;
    }

    private static boolean allFinite(List<Pair<Parameter, NDArray>> updates) {
        // NaN and infinity both survive a sum of squares: one device sync decides the whole step
        try (NDScope ignored = new NDScope()) {
            NDArray squares = null;
            for (Pair<Parameter, NDArray> update : updates) {
                NDArray sum = update.getValue().square().sum();
                squares = squares == null ? sum : squares.add(sum);
            }
            return squares == null || Float.isFinite(squares.getFloat());
        }
    }
}
