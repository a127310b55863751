package io.pirstream.imagery;

import java.awt.image.BufferedImage;
import java.util.Objects;
import java.util.Optional;
import javax.imageio.metadata.IIOMetadata;

/**
 * A decoded image: its format, its pixels and, for TIFF, its tags (where GeoTIFF keeps the georeferencing; empty for
 * JPEG and PNG).
 */
public record DecodedImage(ImageFormat format, BufferedImage image, Optional<IIOMetadata> tiffMetadata) {

    public DecodedImage {
        Objects.requireNonNull(format, "format must not be null");
        Objects.requireNonNull(image, "image must not be null");
        Objects.requireNonNull(tiffMetadata, "tiffMetadata must not be null (empty for JPEG and PNG)");
    }

    public int width() {
        return image.getWidth();
    }

    public int height() {
        return image.getHeight();
    }
}
