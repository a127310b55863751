package io.pirstream.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A convolution with TensorFlow's {@code SAME} padding, a bias (batch normalisation folded in, as in the
 * pre-trained MobileNets) and an optional ReLU6, so that weights trained in TensorFlow behave the same here.
 *
 * <p>{@code SAME} pads {@code max((ceil(n / s) - 1) * s + k - n, 0)} pixels per axis, the smaller half before:
 * a stride-2 3x3 convolution on an even side pads nothing before and one pixel after, which PyTorch's symmetric
 * padding cannot express, so those get an explicit pad. Input and output: {@code (B, C, H, W)}.
 */
public final class TfConv extends AbstractBlock {

    /** The convolution, with no padding of its own when the padding is asymmetric. */
    private final Conv2d conv;
    /** Kernel side. */
    private final int kernel;
    /** Stride. */
    private final int stride;
    /** Whether ReLU6 follows. */
    private final boolean relu6;
    /** Whether this is a depthwise convolution (one filter per input channel). */
    private final boolean depthwise;
    /** Output channels. */
    private final int filters;

    private TfConv(int filters, int kernel, int stride, boolean depthwise, boolean relu6) {
        if (filters <= 0 || kernel <= 0 || stride <= 0) {
            throw new IllegalArgumentException("filters, kernel and stride must be positive: " + filters + ", " + kernel + ", " + stride);
        }
        this.filters = filters;
        this.kernel = kernel;
        this.stride = stride;
        this.relu6 = relu6;
        this.depthwise = depthwise;
        int symmetric = stride == 1 ? (kernel - 1) / 2 : 0;
        conv = addChildBlock("conv", Conv2d.builder().setFilters(filters).setKernelShape(new Shape(kernel, kernel))
                .optStride(new Shape(stride, stride)).optPadding(new Shape(symmetric, symmetric)).optGroups(depthwise ? filters : 1)
                .optBias(true).build());
    }

    /** A full convolution. */
    public static TfConv standard(int filters, int kernel, int stride, boolean relu6) {
        return new TfConv(filters, kernel, stride, false, relu6);
    }

    /** A depthwise convolution over {@code channels} channels. */
    public static TfConv depthwise(int channels, int stride) {
        return new TfConv(channels, 3, stride, true, true);
    }

    /** The convolution whose weight and bias a pre-trained network fills. */
    public Conv2d conv() {
        return conv;
    }

    /** Whether this is a depthwise convolution. */
    public boolean isDepthwise() {
        return depthwise;
    }

    /** Whether ReLU6 follows the convolution. */
    public boolean hasRelu6() {
        return relu6;
    }

    /** Kernel side. */
    public int kernel() {
        return kernel;
    }

    /** Stride. */
    public int stride() {
        return stride;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.head();
        if (stride > 1) {
            // TensorFlow SAME: pad (total / 2) before and the rest after, per spatial axis
            int padH = samePad(x.getShape().get(2));
            int padW = samePad(x.getShape().get(3));
            if (padH > 0 || padW > 0) {
                x = x.pad(new Shape(padW / 2, padW - padW / 2, padH / 2, padH - padH / 2), 0);
            }
        }
        NDArray y = conv.forward(ps, new NDList(x), training).head();
        // ReLU6
        return new NDList(relu6 ? y.clip(0f, 6f) : y);
    }

    private int samePad(long side) {
        long out = (side + stride - 1) / stride;
        return (int) Math.max((out - 1) * stride + kernel - side, 0);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        long h = (in.get(2) + stride - 1) / stride;
        long w = (in.get(3) + stride - 1) / stride;
        return new Shape[] {new Shape(in.get(0), filters, h, w)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = inputShapes[0];
        Shape padded = stride > 1 ? new Shape(in.get(0), in.get(1), in.get(2) + samePad(in.get(2)), in.get(3) + samePad(in.get(3))) : in;
        conv.initialize(manager, dataType, padded);
    }
}
