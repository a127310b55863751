package io.pirstream.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The two ImageNet MobileNets (Howard et al. 2017; Sandler et al. 2018) as sequences of <em>units</em>, so that a
 * network can be cut between units: the PIR image side shares the lower units between the instruction and the
 * visual encoder. Convolutions are {@link TfConv} (TensorFlow padding, folded batch norm, ReLU6).
 *
 * <ul>
 *   <li>{@link Variant#V1}: a stride-2 3x3 stem, then 13 depthwise-separable units; 1024 channels at stride 32.
 *   <li>{@link Variant#V2}: a stem, 17 inverted-residual units (linear bottlenecks, residual where shapes allow) and a
 *       1x1 convolution to 1280 channels; stride 32.
 * </ul>
 *
 * A width multiplier scales every channel count (rounded to a multiple of 8, as the reference implementations do),
 * so tests can build the same structure in miniature.
 */
public final class MobileNet {

    /** Which MobileNet. */
    public enum Variant {
        V1, V2;

        /** Parses {@code mobilenet_v1} / {@code mobilenet_v2} (or {@code v1} / {@code v2}). */
        public static Variant parse(String name) {
            String n = name == null ? "" : name.toLowerCase(Locale.ROOT).replace("mobilenet_", "");
            return switch (n) {
                case "v1" -> V1;
                case "v2" -> V2;
                default -> throw new IllegalArgumentException("backbone must be 'mobilenet_v1' or 'mobilenet_v2': " + name);
            };
        }

        /** Config name. */
        public String configName() {
            return "mobilenet_" + name().toLowerCase(Locale.ROOT);
        }
    }

    /** V1 depthwise-separable units: {output channels, stride}. */
    private static final int[][] V1_UNITS = {{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2}, {512, 1}, {512, 1}, {512, 1},
        {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};
    /** V2 inverted-residual stages: {expansion t, channels c, repeats n, first stride s}. */
    private static final int[][] V2_STAGES = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2},
        {6, 320, 1, 1}};

    private MobileNet() {
    }

    /** The units of a network, stem first. */
    public static List<AbstractBlock> units(Variant variant, float widthMultiplier) {
        if (!(widthMultiplier > 0f)) {
            throw new IllegalArgumentException("widthMultiplier must be positive: " + widthMultiplier);
        }
        List<AbstractBlock> units = new ArrayList<>();
        int stem = channels(32, widthMultiplier);
        units.add(new Unit(List.of(TfConv.standard(stem, 3, 2, true)), false));
        int in = stem;
        if (variant == Variant.V1) {
            for (int[] u : V1_UNITS) {
                int out = channels(u[0], widthMultiplier);
                units.add(new Unit(List.of(TfConv.depthwise(in, u[1]), TfConv.standard(out, 1, 1, true)), false));
                in = out;
            }
        } else {
            for (int[] s : V2_STAGES) {
                int out = channels(s[1], widthMultiplier);
                for (int r = 0; r < s[2]; r++) {
                    int stride = r == 0 ? s[3] : 1;
                    List<TfConv> convs = new ArrayList<>();
                    if (s[0] != 1) {
                        convs.add(TfConv.standard(in * s[0], 1, 1, true));
                    }
                    convs.add(TfConv.depthwise(in * s[0], stride));
                    convs.add(TfConv.standard(out, 1, 1, false));
                    units.add(new Unit(convs, stride == 1 && in == out));
                    in = out;
                }
            }
            units.add(new Unit(List.of(TfConv.standard(featureChannels(variant, widthMultiplier), 1, 1, true)), false));
        }
        return units;
    }

    /** Channels of the last unit's output. */
    public static int featureChannels(Variant variant, float widthMultiplier) {
        return variant == Variant.V1 ? channels(1024, widthMultiplier) : Math.max(1280, channels(1280, widthMultiplier));
    }

    /** Number of units of a variant. */
    public static int unitCount(Variant variant) {
        return variant == Variant.V1 ? 1 + V1_UNITS.length : 1 + 17 + 1;
    }

    /** Output shape of a run of units for an input shape. */
    public static Shape outputShape(List<? extends AbstractBlock> units, Shape input) {
        Shape[] s = {input};
        for (AbstractBlock unit : units) {
            s = unit.getOutputShapes(s);
        }
        return s[0];
    }

    /** {@code c * multiplier} rounded to a multiple of 8 (at least 8), never more than 10 % below. */
    static int channels(int c, float multiplier) {
        float scaled = c * multiplier;
        int rounded = Math.max(8, (int) (scaled + 4) / 8 * 8);
        return rounded < 0.9f * scaled ? rounded + 8 : rounded;
    }

    /**
     * One unit: its convolutions in order, plus the input when shapes allow a residual. Input and output
     * {@code (B, C, H, W)}.
     */
    public static final class Unit extends AbstractBlock {

        /** Convolutions in execution order. */
        private final List<TfConv> convs;
        /** Whether the input is added to the output. */
        private final boolean residual;

        Unit(List<TfConv> convs, boolean residual) {
            this.convs = convs;
            this.residual = residual;
            for (int i = 0; i < convs.size(); i++) {
                addChildBlock("conv" + i, convs.get(i));
            }
        }

        /** Convolutions in execution order (the order of a TFLite file's convolution operators). */
        public List<TfConv> convs() {
            return convs;
        }

        /** Whether the unit adds its input to its output. */
        public boolean residual() {
            return residual;
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            NDArray x = inputs.head();
            NDArray y = x;
            for (TfConv conv : convs) {
                y = conv.forward(ps, new NDList(y), training).head();
            }
            // linear bottleneck plus the input
            return new NDList(residual ? y.add(x) : y);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            Shape[] s = inputShapes;
            for (TfConv conv : convs) {
                s = conv.getOutputShapes(s);
            }
            return s;
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            Shape[] s = inputShapes;
            for (TfConv conv : convs) {
                conv.initialize(manager, dataType, s);
                s = conv.getOutputShapes(s);
            }
        }
    }
}
