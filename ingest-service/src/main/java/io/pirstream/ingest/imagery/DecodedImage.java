package io.pirstream.ingest.imagery;

import java.awt.image.BufferedImage;
import java.util.Objects;

/**
 * A decoded upload: its format, its pixels and, for TIFF, its georeferencing
 * ({@link GeoReference#none()} for JPEG and PNG).
 */
public record DecodedImage(ImageFormat format, BufferedImage image, GeoReference geo) {

    public DecodedImage {
        Objects.requireNonNull(format, "format must not be null");
        Objects.requireNonNull(image, "image must not be null");
        Objects.requireNonNull(geo, "geo must not be null");
    }

    public int width() {
        return image.getWidth();
    }

    public int height() {
        return image.getHeight();
    }
}
