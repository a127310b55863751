package io.pirstream.ingest.imagery;

import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;
import javax.imageio.ImageIO;

/** Copies a window's pixels out of a source image and encodes them. */
public final class ChipEncoder {

    private ChipEncoder() {}

    /**
     * A pixel-exact, independent copy of {@code window} of {@code source}: same colour model, so
     * nothing is converted, and no shared raster, so the source can be released.
     *
     * @throws IllegalArgumentException if the window does not fit in the source
     */
    public static BufferedImage extract(BufferedImage source, PixelWindow window) {
        Objects.requireNonNull(source, "source must not be null");
        Objects.requireNonNull(window, "window must not be null");
        if (!window.fitsIn(source.getWidth(), source.getHeight())) {
            throw new IllegalArgumentException("window " + window + " does not fit in a " + source.getWidth() + " x " + source.getHeight() + " image");
        }
        ColorModel cm = source.getColorModel();
        // a raster like the source's, not the colour model's default one: a decoder may pair a colour model with a
        // raster layout of its own (a TIFF can give packed RGB over bytes), which the default layout cannot take
        WritableRaster from = source.getRaster();
        WritableRaster raster = from.createCompatibleWritableRaster(window.width(), window.height());
        raster.setDataElements(0, 0, from.createChild(window.x(), window.y(), window.width(), window.height(), 0, 0,
                null));
        return new BufferedImage(cm, raster, cm.isAlphaPremultiplied(), null);
    }

    /** {@link #extract} then {@link #encode}. */
    public static byte[] chip(BufferedImage source, PixelWindow window, ChipFormat format) {
        return encode(extract(source, window), format);
    }

    /**
     * Encodes an image. Images ImageIO cannot write directly (JPEG with alpha, exotic sample layouts
     * such as 16-bit multi-band TIFF) are first drawn onto 8-bit RGB, which is what the embedding
     * pipeline consumes anyway.
     */
    public static byte[] encode(BufferedImage image, ChipFormat format) {
        Objects.requireNonNull(image, "image must not be null");
        Objects.requireNonNull(format, "format must not be null");
        BufferedImage writable = format == ChipFormat.JPEG && image.getColorModel().hasAlpha() ? toRgb(image) : image;
        byte[] out = write(writable, format);
        if (out == null) {
            out = write(toRgb(image), format);
        }
        if (out == null) {
            throw new IllegalStateException("no " + format + " writer in this JDK");
        }
        return out;
    }

    private static byte[] write(BufferedImage image, ChipFormat format) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            return ImageIO.write(image, format.imageIoName(), bytes) ? bytes.toByteArray() : null;
        } catch (IOException e) {
            throw new UncheckedIOException("encoding a chip in memory failed", e);
        }
    }

    private static BufferedImage toRgb(BufferedImage image) {
        BufferedImage rgb = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = rgb.createGraphics();
        try {
            g.drawImage(image, 0, 0, null);
        } finally {
            g.dispose();
        }
        return rgb;
    }
}
