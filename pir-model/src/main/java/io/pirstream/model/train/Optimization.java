package io.pirstream.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;

/**
 * AdamW with linear warm-up then cosine (or constant) learning rate, applied to the trainable
 * parameters of a block. Gradients are zeroed after each step (PyTorch accumulates them).
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

    /** One update of every trainable parameter that has a gradient. */
    void step() {
        for (Pair<String, Parameter> p : block.getParameters()) {
            Parameter parameter = p.getValue();
            if (!parameter.requiresGradient()) {
                continue;
            }
            NDArray weight = parameter.getArray();
            if (!weight.hasGradient()) {
                continue;
            }
            NDArray grad = weight.getGradient();
            optimizer.update(parameter.getId(), weight, grad);
            grad.subi(grad);
        }
    }
}
