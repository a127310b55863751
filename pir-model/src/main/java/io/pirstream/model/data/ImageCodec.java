package io.pirstream.model.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.pirstream.imagery.ImageDecoder;
import io.pirstream.imagery.ImageLimits;
import io.pirstream.imagery.ImageRejectedException;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * Image decoding, resizing and conversion to network input. Pixels are kept as packed RGB bytes
 * {@code (H, W, 3)} of the model's input size, so a whole data set fits in memory cheaply.
 */
public final class ImageCodec {

    private ImageCodec() {
    }

    /**
     * What the model's readers decode: data-set images are a few hundred pixels a side, so these leave ample room
     * (a 6000 x 6000 aerial tile) while a file claiming more is refused from its header, before a pixel is decoded.
     */
    public static final ImageLimits READER_LIMITS = new ImageLimits(64L * 1024 * 1024, 40_000_000L, 16_384);

    private static final ImageDecoder DECODER = new ImageDecoder(READER_LIMITS);

    /**
     * Decodes an encoded image (JPEG, PNG or TIFF) with the system's one {@link ImageDecoder}.
     *
     * @throws IllegalArgumentException naming the decoder's reason, when the bytes are not an image within
     *     {@link #READER_LIMITS} (empty, too large, truncated, corrupt, another format)
     */
    public static BufferedImage decode(byte[] encoded) {
        try {
            return DECODER.decode(encoded).image();
        } catch (ImageRejectedException e) {
            throw new IllegalArgumentException("unreadable image (" + e.reason() + "): " + e.getMessage(), e);
        }
    }

    /** Reads and decodes an image file. */
    public static BufferedImage read(Path file) {
        try {
            return decode(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read image " + file, e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " (" + file + ")", e);
        }
    }

    /** Resizes (bilinear) to {@code size x size} and packs as RGB bytes. */
    public static byte[] toRgb(BufferedImage image, int size) {
        BufferedImage scaled = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scaled.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        g.drawImage(image, 0, 0, size, size, null);
        g.dispose();
        int[] argb = scaled.getRGB(0, 0, size, size, null, 0, size);
        byte[] out = new byte[size * size * 3];
        for (int i = 0; i < argb.length; i++) {
            out[3 * i] = (byte) (argb[i] >> 16);
            out[3 * i + 1] = (byte) (argb[i] >> 8);
            out[3 * i + 2] = (byte) argb[i];
        }
        return out;
    }

    /** A random one of the 8 flips/rotations of a square RGB image (aerial views have no "up"). */
    public static byte[] augment(byte[] rgb, int size, Random random) {
        return dihedral(rgb, size, random.nextInt(8));
    }

    /**
     * One of the 8 symmetries of the square: bit 0 flips horizontally, bit 1 vertically, bit 2 transposes; 0 is the
     * image itself.
     */
    public static byte[] dihedral(byte[] rgb, int size, int op) {
        if (op == 0) {
            return rgb;
        }
        byte[] out = new byte[rgb.length];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int sx = x;
                int sy = y;
                if ((op & 1) != 0) {
                    sx = size - 1 - sx;
                }
                if ((op & 2) != 0) {
                    sy = size - 1 - sy;
                }
                if ((op & 4) != 0) {
                    int t = sx;
                    sx = sy;
                    sy = t;
                }
                int src = 3 * (sy * size + sx);
                int dst = 3 * (y * size + x);
                out[dst] = rgb[src];
                out[dst + 1] = rgb[src + 1];
                out[dst + 2] = rgb[src + 2];
            }
        }
        return out;
    }

    /** Network input {@code (B, 3, size, size)} from packed RGB images, scaled to [-1, 1] as the MobileNets expect. */
    public static NDArray toInput(List<byte[]> images, int size, NDManager manager) {
        int plane = size * size;
        float[] data = new float[images.size() * 3 * plane];
        for (int b = 0; b < images.size(); b++) {
            byte[] rgb = images.get(b);
            if (rgb.length != 3 * plane) {
                throw new IllegalArgumentException("image " + b + " has " + rgb.length + " bytes, expected " + 3 * plane);
            }
            int base = b * 3 * plane;
            for (int i = 0; i < plane; i++) {
                for (int c = 0; c < 3; c++) {
                    data[base + c * plane + i] = (rgb[3 * i + c] & 0xff) / 127.5f - 1f;
                }
            }
        }
        return manager.create(data, new Shape(images.size(), 3, size, size));
    }
}
