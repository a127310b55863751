package io.pirstream.ingest.imagery;

/**
 * A rectangle of pixels in a source image: top-left corner ({@code x}, {@code y}), x to the east
 * (columns), y to the south (rows).
 */
public record PixelWindow(int x, int y, int width, int height) {

    public PixelWindow {
        if (x < 0 || y < 0) {
            throw new IllegalArgumentException("window origin must not be negative, got x=" + x + ", y=" + y);
        }
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("window size must be positive, got " + width + " x " + height);
        }
        if ((long) x + width > Integer.MAX_VALUE || (long) y + height > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("window " + x + "," + y + " " + width + "x" + height + " overflows int pixel coordinates");
        }
    }

    /** The whole of an image of the given size. */
    public static PixelWindow whole(int imageWidth, int imageHeight) {
        return new PixelWindow(0, 0, imageWidth, imageHeight);
    }

    /** Exclusive right edge: {@code x + width}. */
    public int right() {
        return x + width;
    }

    /** Exclusive bottom edge: {@code y + height}. */
    public int bottom() {
        return y + height;
    }

    /** Whether this window lies entirely inside an image of the given size. */
    public boolean fitsIn(int imageWidth, int imageHeight) {
        return right() <= imageWidth && bottom() <= imageHeight;
    }
}
