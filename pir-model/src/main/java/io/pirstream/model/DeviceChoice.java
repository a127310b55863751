package io.pirstream.model;

import ai.djl.Device;
import ai.djl.engine.Engine;

/** Where a model runs. */
public enum DeviceChoice {
    /** The first GPU if the engine sees one, else the CPU. */
    AUTO,
    /** The CPU. */
    CPU,
    /** The first GPU; fails if there is none. */
    GPU;

    /** Resolves to a DJL device. */
    public Device resolve() {
        int gpus = Engine.getInstance().getGpuCount();
        switch (this) {
            case CPU:
                return Device.cpu();
            case GPU:
                if (gpus == 0) {
                    throw new IllegalStateException("GPU requested but the PyTorch engine sees none: put "
                            + "ai.djl.pytorch:pytorch-native-cu* (linux-x86_64) on the classpath instead of pytorch-native-cpu");
                }
                return Device.gpu();
            default:
                return gpus > 0 ? Device.gpu() : Device.cpu();
        }
    }
}
