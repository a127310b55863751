package io.pirstream.imagery;

import java.util.Objects;

/**
 * What an image's header claims, checked against the limits but before any pixel is decoded: enough to refuse an
 * image whose work (pixels, chips) would be too large.
 */
public record ImageHeader(ImageFormat format, int width, int height) {

    public ImageHeader {
        Objects.requireNonNull(format, "format must not be null");
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + " x " + height);
        }
    }
}
