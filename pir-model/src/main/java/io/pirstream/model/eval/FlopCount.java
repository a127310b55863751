package io.pirstream.model.eval;

import io.pirstream.model.ModelConfig;

/**
 * Analytic FLOPs (2 x multiply-adds of convolutions and matrix products; element-wise work,
 * normalisation and softmax are not counted) of embedding one image.
 */
public final class FlopCount {

    private FlopCount() {
    }

    /** FLOPs of the image tower for one chip. */
    public static double imageTower(ModelConfig c, int classes) {
        double macs = backbone(c.instructionWidths(), c.unitsPerStage(), c.imageSize());
        int cIns = c.instructionWidths()[c.instructionWidths().length - 1];
        macs += (double) cIns * classes;
        macs += backbone(c.visualWidths(), c.unitsPerStage(), c.imageSize());
        int cVis = c.visualWidths()[c.visualWidths().length - 1];
        int d = c.width();
        int n = c.visualTokens() + 1;
        macs += (double) cVis * d + (double) (n - 1) * cVis * d;
        macs += (double) cIns * d + (double) n * d;
        for (int i = 0; i < c.spatialLayers(); i++) {
            macs += 4.0 * n * d * d + 2.0 * n * n * d;
            macs += (double) cIns * d + 4.0 * n * d * d + 2.0 * n * n * d;
            macs += 2.0 * n * d * d * c.mlpRatio();
        }
        macs += (double) d * d;
        return 2 * macs;
    }

    private static double backbone(int[] widths, int units, int size) {
        int r = size / 2;
        double macs = 9.0 * 3 * widths[0] * r * r;
        int in = widths[0];
        for (int stage = 0; stage < widths.length; stage++) {
            for (int u = 0; u < units; u++) {
                boolean down = u == 0 && stage > 0;
                int rOut = down ? r / 2 : r;
                int w = widths[stage];
                macs += 9.0 * in * w * rOut * rOut + 9.0 * w * w * rOut * rOut;
                if (u == 0 && (stage > 0 || in != w)) {
                    macs += (double) in * w * rOut * rOut;
                }
                in = w;
                r = rOut;
            }
        }
        return macs;
    }
}
