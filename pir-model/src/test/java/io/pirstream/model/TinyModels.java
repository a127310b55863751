package io.pirstream.model;

import io.pirstream.model.nn.BeliefBlock;

/** Very small configurations so that block tests run in milliseconds. */
public final class TinyModels {

    private TinyModels() {
    }

    /** A tiny network: 32 px images, width 16, one layer each side. */
    public static ModelConfig config(String textEncoder, BeliefBlock.Strategy belief) {
        return new ModelConfig(32, new int[] {8, 8, 16, 16}, new int[] {8, 8, 16, 16}, 1, 16, 2, 2, 1, 1, belief, 2,
                textEncoder, 8, 0.07f);
    }
}
