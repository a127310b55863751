package io.pirstream.model.eval;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import io.pirstream.model.ModelConfig;
import io.pirstream.model.nn.MobileNet;
import io.pirstream.model.nn.TfConv;
import java.util.List;

/**
 * Analytic FLOPs (2 x multiply-adds of convolutions and matrix products; element-wise work, normalisation and
 * softmax are not counted) of embedding one image: the shared trunk once, the upper units twice (instruction and
 * visual encoder), then the token projections and the spatial layers.
 */
public final class FlopCount {

    private FlopCount() {
    }

    /** FLOPs of the image tower for one chip. */
    public static double imageTower(ModelConfig c, int classes) {
        List<AbstractBlock> units = MobileNet.units(c.variant(), c.widthMultiplier());
        Shape s = new Shape(1, 3, c.imageSize(), c.imageSize());
        double shared = 0;
        double top = 0;
        for (int u = 0; u < units.size(); u++) {
            for (TfConv conv : ((MobileNet.Unit) units.get(u)).convs()) {
                Shape out = conv.getOutputShapes(new Shape[] {s})[0];
                long inChannels = s.get(1);
                double macs = (double) out.get(1) * out.get(2) * out.get(3) * (conv.isDepthwise() ? 1 : inChannels)
                        * conv.kernel() * conv.kernel();
                if (u < c.sharedUnits()) {
                    shared += macs;
                } else {
                    top += macs;
                }
                s = out;
            }
        }
        int cMap = MobileNet.featureChannels(c.variant(), c.widthMultiplier());
        int d = c.width();
        int n = c.visualTokens() + 1;
        double macs = shared + 2 * top + (double) cMap * classes;
        macs += (double) cMap * d + (double) (n - 1) * cMap * d;
        macs += (double) cMap * d + (double) n * d;
        for (int i = 0; i < c.spatialLayers(); i++) {
            macs += 4.0 * n * d * d + 2.0 * n * n * d;
            macs += (double) cMap * d + 4.0 * n * d * d + 2.0 * n * n * d;
            macs += 2.0 * n * d * d * c.mlpRatio();
        }
        macs += (double) d * d;
        return 2 * macs;
    }
}
