package io.pirstream.imagery;

/**
 * Upper bounds an image must respect before the decoder spends memory on it (ingest's defaults below; the
 * embed-processor and the model's readers set their own).
 *
 * <p>The pixel limits are what stop decompression bombs: a few kilobytes of PNG can claim
 * 100000 x 100000 pixels (40 GB decoded), so {@link ImageDecoder} checks them against the header
 * before any pixel buffer is allocated.
 *
 * @param maxBytes largest accepted encoded file, in bytes
 * @param maxPixels largest accepted {@code width * height}
 * @param maxSide largest accepted width or height, in pixels
 */
public record ImageLimits(long maxBytes, long maxPixels, int maxSide) {

    /**
     * 512 MiB: room for a 10000 x 10000 RGB scene stored as an uncompressed TIFF (300 MB), the
     * largest scene the benchmarks use.
     */
    public static final long DEFAULT_MAX_BYTES = 512L * 1024 * 1024;

    /**
     * 150 million pixels: a 10000 x 10000 scene with headroom (about 12000 x 12000), which decodes to
     * at most 600 MB as 4-byte pixels and so fits the service's default heap.
     */
    public static final long DEFAULT_MAX_PIXELS = 150_000_000L;

    /** 30000 px: long thin strips are fine up to this side length, as long as the pixel count fits. */
    public static final int DEFAULT_MAX_SIDE = 30_000;

    /** The defaults above. */
    public static final ImageLimits DEFAULTS = new ImageLimits(DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, DEFAULT_MAX_SIDE);

    public ImageLimits {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive, got " + maxBytes);
        }
        if (maxPixels <= 0) {
            throw new IllegalArgumentException("maxPixels must be positive, got " + maxPixels);
        }
        if (maxSide <= 0) {
            throw new IllegalArgumentException("maxSide must be positive, got " + maxSide);
        }
    }
}
