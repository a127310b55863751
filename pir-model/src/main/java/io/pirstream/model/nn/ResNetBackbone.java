package io.pirstream.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import java.util.Arrays;

/**
 * A small ResNet (basic residual units) that maps {@code (B, 3, H, W)} images to a spatial feature
 * map {@code (B, C, H/16, W/16)}: a stride-2 stem, then one stage per width, each stage after the
 * first halving the resolution.
 */
public final class ResNetBackbone {

    private ResNetBackbone() {
    }

    /**
     * Builds the backbone.
     *
     * @param widths channel width per stage; the first is also the stem width (4 stages give
     *     stride 16)
     * @param unitsPerStage residual units per stage
     */
    public static SequentialBlock build(int[] widths, int unitsPerStage) {
        if (widths == null || widths.length == 0 || Arrays.stream(widths).anyMatch(w -> w <= 0)) {
            throw new IllegalArgumentException("widths must be non-empty and positive: " + Arrays.toString(widths));
        }
        if (unitsPerStage <= 0) {
            throw new IllegalArgumentException("unitsPerStage must be positive: " + unitsPerStage);
        }
        SequentialBlock net = new SequentialBlock();
        // stem: 3x3 stride 2
        net.add(conv(widths[0], 3, 2)).add(BatchNorm.builder().build()).add(Activation::relu);
        for (int stage = 0; stage < widths.length; stage++) {
            for (int unit = 0; unit < unitsPerStage; unit++) {
                boolean downsample = unit == 0 && stage > 0;
                boolean project = unit == 0 && (stage > 0 || widths[0] != widths[stage]);
                net.add(residualUnit(widths[stage], downsample ? 2 : 1, project));
            }
        }
        return net;
    }

    /** Output stride of a backbone with this many stages. */
    public static int stride(int stages) {
        return 1 << stages;
    }

    private static Block residualUnit(int width, int stride, boolean project) {
        SequentialBlock main = new SequentialBlock()
                .add(conv(width, 3, stride)).add(BatchNorm.builder().build()).add(Activation::relu)
                .add(conv(width, 3, 1)).add(BatchNorm.builder().build());
        Block shortcut = project
                ? new SequentialBlock().add(conv(width, 1, stride)).add(BatchNorm.builder().build())
                : Blocks.identityBlock();
        // add the two branches, then ReLU
        return new SequentialBlock()
                .add(new ParallelBlock(list -> new NDList(list.get(0).singletonOrThrow().add(list.get(1).singletonOrThrow())),
                        Arrays.asList(main, shortcut)))
                .add(Activation::relu);
    }

    private static Conv2d conv(int filters, int kernel, int stride) {
        int pad = kernel / 2;
        return Conv2d.builder().setFilters(filters).setKernelShape(new Shape(kernel, kernel))
                .optStride(new Shape(stride, stride)).optPadding(new Shape(pad, pad)).optBias(false).build();
    }

    /** Global average pooling of a {@code (B, C, h, w)} map to {@code (B, C)}. */
    public static NDArray globalAveragePool(NDArray map) {
        return map.mean(new int[] {3}).mean(new int[] {2});
    }
}
