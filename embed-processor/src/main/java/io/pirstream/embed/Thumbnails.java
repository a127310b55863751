package io.pirstream.embed;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** Small JPEG previews for result pages, at most {@link #MAX_BYTES}. */
public final class Thumbnails {

    /** Upper bound of a thumbnail, so embedding records stay small. */
    public static final int MAX_BYTES = 8 * 1024;
    /** Longest side of a thumbnail in pixels, first try. */
    public static final int SIDE = 96;

    private Thumbnails() {
    }

    /** A JPEG of at most {@link #MAX_BYTES}: shrinks quality, then size, until it fits. */
    public static byte[] jpeg(BufferedImage image) {
        for (int side = SIDE; side >= 16; side /= 2) {
            BufferedImage scaled = scale(image, side);
            for (float quality : new float[] {0.8f, 0.6f, 0.4f}) {
                byte[] bytes = encode(scaled, quality);
                if (bytes.length <= MAX_BYTES) {
                    return bytes;
                }
            }
        }
        throw new IllegalStateException("cannot fit a thumbnail into " + MAX_BYTES + " bytes");
    }

    private static BufferedImage scale(BufferedImage image, int side) {
        double factor = (double) side / Math.max(image.getWidth(), image.getHeight());
        int width = Math.max(1, (int) Math.round(image.getWidth() * factor));
        int height = Math.max(1, (int) Math.round(image.getHeight() * factor));
        BufferedImage scaled = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scaled.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        g.drawImage(image, 0, 0, width, height, null);
        g.dispose();
        return scaled;
    }

    private static byte[] encode(BufferedImage image, float quality) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(quality);
            writer.setOutput(stream);
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException("JPEG encoding failed", e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }
}
