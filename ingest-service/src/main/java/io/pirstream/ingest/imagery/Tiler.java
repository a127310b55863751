package io.pirstream.ingest.imagery;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts an image into square chips of {@code chipSize} px that overlap by {@code overlap} px.
 *
 * <p>Edge policy: chips start every {@code step = chipSize - overlap} pixels; where the image is at
 * least {@code chipSize} long in a dimension, the last chip in that dimension is moved back so it
 * ends exactly at the edge (it then overlaps its neighbour by more than {@code overlap}). Every chip
 * is therefore full-size and the model never sees padding. Where the image is shorter than
 * {@code chipSize}, there is one chip spanning the whole dimension, smaller than
 * {@code chipSize}. Together the windows cover every pixel.
 */
public final class Tiler {

    /** Chip side the embedding model is trained on. */
    public static final int DEFAULT_CHIP_SIZE = 256;
    /** Overlap, so that an object cut by one chip border is whole in the neighbouring chip. */
    public static final int DEFAULT_OVERLAP = 32;

    private final int chipSize;
    private final int overlap;

    /**
     * @throws IllegalArgumentException unless {@code chipSize > 0} and {@code 0 <= overlap < chipSize}
     */
    public Tiler(int chipSize, int overlap) {
        if (chipSize <= 0) {
            throw new IllegalArgumentException("chipSize must be positive, got " + chipSize);
        }
        if (overlap < 0 || overlap >= chipSize) {
            throw new IllegalArgumentException("overlap must be in 0.." + (chipSize - 1) + " (less than chipSize " + chipSize + "), got " + overlap);
        }
        this.chipSize = chipSize;
        this.overlap = overlap;
    }

    public int chipSize() {
        return chipSize;
    }

    public int overlap() {
        return overlap;
    }

    /** Distance between the starts of neighbouring chips: {@code chipSize - overlap}. */
    public int step() {
        return chipSize - overlap;
    }

    /** The chip windows of a {@code width x height} image, in row-major order (left to right, then top to bottom). */
    public List<PixelWindow> windows(int width, int height) {
        requireSize(width, height);
        long count = chipCount(width, height);
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(count + " chips for " + width + " x " + height + " px is too many for one list; use a larger step");
        }
        int[] xs = starts(width);
        int[] ys = starts(height);
        int w = Math.min(chipSize, width);
        int h = Math.min(chipSize, height);
        List<PixelWindow> out = new ArrayList<>(xs.length * ys.length);
        for (int y : ys) {
            for (int x : xs) {
                out.add(new PixelWindow(x, y, w, h));
            }
        }
        return out;
    }

    /** How many windows {@link #windows} returns, without building them (to refuse absurd requests cheaply). */
    public long chipCount(int width, int height) {
        requireSize(width, height);
        return (long) startCount(width) * startCount(height);
    }

    private int startCount(int length) {
        if (length <= chipSize) {
            return 1;
        }
        // Starts 0, step, 2*step, ... while the chip ends before the edge, then one chip ending at it.
        return (int) ((length - chipSize + step() - 1L) / step()) + 1;
    }

    /** Chip starts along one dimension of {@code length} px. */
    int[] starts(int length) {
        int n = startCount(length);
        int[] starts = new int[n];
        for (int i = 0; i < n - 1; i++) {
            starts[i] = i * step();
        }
        starts[n - 1] = Math.max(0, length - chipSize);
        assert n == 1 || starts[n - 1] > starts[n - 2] : "last start must advance";
        return starts;
    }

    private static void requireSize(int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + " x " + height);
        }
    }

    @Override
    public String toString() {
        return "Tiler[chipSize=" + chipSize + ", overlap=" + overlap + "]";
    }
}
