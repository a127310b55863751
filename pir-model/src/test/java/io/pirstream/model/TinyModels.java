package io.pirstream.model;

import io.pirstream.model.nn.BeliefBlock;

/** Very small configurations so that block tests run in milliseconds. */
public final class TinyModels {

    private TinyModels() {
    }

    /** A tiny network: 64 px images (2 x 2 local tokens), a MobileNetV1 at 1/8 width, width 16, one layer each side. */
    public static ModelConfig config(String textEncoder, BeliefBlock.Strategy belief) {
        return new ModelConfig(64, "mobilenet_v1", 0.125f, null, 16, 2, 2, 1, 1, belief, 2, ModelConfig.PAE, textEncoder, 8, 0.07f);
    }
}
