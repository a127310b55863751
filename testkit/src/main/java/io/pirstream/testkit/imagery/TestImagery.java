package io.pirstream.testkit.imagery;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import javax.imageio.ImageIO;

/**
 * Deterministic test imagery: the same (size, seed) always gives the same pixels, on any JVM.
 *
 * <p>A scene is a colour gradient (red grows to the east, green to the south, so every window of
 * a scene has different pixels), a few seeded rectangles and ellipses as "objects", and a little
 * per-pixel noise so that JPEG and PNG encoders have real work to do. Shapes are drawn without
 * anti-aliasing, which keeps the output independent of the Java2D rendering pipeline.
 */
public final class TestImagery {

    /** Number of shapes drawn on every scene. */
    public static final int SHAPES = 12;
    /** Amplitude of the per-pixel noise, in 8-bit levels either side. */
    public static final int NOISE = 6;

    private TestImagery() {}

    /** A {@code TYPE_INT_RGB} scene of {@code w x h} pixels, fully determined by {@code seed}. */
    public static BufferedImage image(int w, int h, long seed) {
        if (w <= 0 || h <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + w + " x " + h);
        }
        if ((long) w * h > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("image of " + w + " x " + h + " px does not fit one Java array");
        }
        SplittableRandom random = new SplittableRandom(seed);
        int blue = random.nextInt(256);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        // Written in place: a 10000 x 10000 benchmark scene must not need a second 400 MB array.
        int[] rgb = ((DataBufferInt) img.getRaster().getDataBuffer()).getData();
        for (int y = 0; y < h; y++) {
            int g = (int) ((long) y * 255 / Math.max(1, h - 1));
            for (int x = 0; x < w; x++) {
                int r = (int) ((long) x * 255 / Math.max(1, w - 1));
                rgb[y * w + x] = (r << 16) | (g << 8) | blue;
            }
        }
        drawShapes(img, random);
        addNoise(rgb, random);
        return img;
    }

    private static void drawShapes(BufferedImage img, SplittableRandom random) {
        int w = img.getWidth();
        int h = img.getHeight();
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
            for (int i = 0; i < SHAPES; i++) {
                g.setColor(new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256)));
                int sw = 1 + random.nextInt(Math.max(1, w / 4));
                int sh = 1 + random.nextInt(Math.max(1, h / 4));
                int x = random.nextInt(w);
                int y = random.nextInt(h);
                if (random.nextBoolean()) {
                    g.fillRect(x, y, sw, sh);
                } else {
                    g.fillOval(x, y, sw, sh);
                }
            }
        } finally {
            g.dispose();
        }
    }

    private static void addNoise(int[] rgb, SplittableRandom random) {
        for (int i = 0; i < rgb.length; i++) {
            int n = random.nextInt(2 * NOISE + 1) - NOISE;
            int p = rgb[i];
            rgb[i] = (clamp(((p >> 16) & 0xff) + n) << 16) | (clamp(((p >> 8) & 0xff) + n) << 8) | clamp((p & 0xff) + n);
        }
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    /** JPEG (ImageIO default quality) of {@link #image(int, int, long)}. */
    public static byte[] jpeg(int w, int h, long seed) {
        return jpeg(image(w, h, seed));
    }

    /** JPEG of an RGB image (JPEG has no alpha; pass an image without one). */
    public static byte[] jpeg(BufferedImage img) {
        return encode(img, "jpeg");
    }

    /** PNG of {@link #image(int, int, long)}. */
    public static byte[] png(int w, int h, long seed) {
        return png(image(w, h, seed));
    }

    public static byte[] png(BufferedImage img) {
        return encode(img, "png");
    }

    /** A TIFF without any georeferencing tags. */
    public static byte[] tiff(BufferedImage img) {
        return GeoTiffWriter.write(img, null, null, null);
    }

    /**
     * A north-up GeoTIFF in EPSG:4326 (PixelIsArea): the top-left corner of pixel (0, 0) is at
     * ({@code westLon}, {@code northLat}); each pixel spans {@code pixelSizeDegX} degrees of
     * longitude and {@code pixelSizeDegY} degrees of latitude (both positive; latitude decreases
     * downwards).
     */
    public static byte[] geoTiff(BufferedImage img, double westLon, double northLat, double pixelSizeDegX, double pixelSizeDegY) {
        return GeoTiffWriter.write(
                img,
                new double[] {0, 0, 0, westLon, northLat, 0},
                new double[] {pixelSizeDegX, pixelSizeDegY, 0},
                GeoTiffWriter.wgs84Keys(GeoTiffWriter.RASTER_PIXEL_IS_AREA));
    }

    /**
     * A north-up GeoTIFF in a projected CRS, e.g. EPSG:32633 (UTM 33N) with easting/northing in
     * metres for the top-left corner and the pixel size in metres.
     */
    public static byte[] geoTiffProjected(BufferedImage img, int epsg, double westEasting, double northNorthing, double pixelSizeX, double pixelSizeY) {
        return GeoTiffWriter.write(
                img,
                new double[] {0, 0, 0, westEasting, northNorthing, 0},
                new double[] {pixelSizeX, pixelSizeY, 0},
                GeoTiffWriter.projectedKeys(epsg));
    }

    /** The first half of {@code data}: a file cut off in transfer. */
    public static byte[] truncated(byte[] data) {
        return truncated(data, data.length / 2);
    }

    /** The first {@code keep} bytes of {@code data}. */
    public static byte[] truncated(byte[] data, int keep) {
        Objects.requireNonNull(data, "data must not be null");
        if (keep < 0 || keep > data.length) {
            throw new IllegalArgumentException("keep must be in 0.." + data.length + ", got " + keep);
        }
        return Arrays.copyOf(data, keep);
    }

    /**
     * A tiny, well-formed PNG whose header claims {@code width x height} 8-bit grey pixels but whose
     * image data holds a single row: a decoder that trusts the header allocates
     * {@code width * height} bytes before it notices. Use it to test that dimensions are checked
     * before decoding.
     */
    public static byte[] pngBomb(int width, int height) {
        return pngBytes(width, height, 1);
    }

    /**
     * A real, complete PNG of {@code width x height} black 8-bit grey pixels. The image data is
     * deflated row by row as it is generated, so a 20000 x 20000 "bomb" (400 MB when decoded) is
     * only a few hundred kilobytes here and never allocated in memory.
     */
    public static byte[] compressiblePng(int width, int height) {
        return pngBytes(width, height, height);
    }

    private static byte[] pngBytes(int width, int height, int rowsWritten) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("PNG size must be positive, got " + width + " x " + height);
        }
        try {
            ByteArrayOutputStream file = new ByteArrayOutputStream();
            file.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
            ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(ihdr);
            d.writeInt(width);
            d.writeInt(height);
            d.writeByte(8); // bit depth
            d.writeByte(0); // colour type: greyscale
            d.writeByte(0); // compression
            d.writeByte(0); // filter
            d.writeByte(0); // interlace: none
            chunk(file, "IHDR", ihdr.toByteArray());

            ByteArrayOutputStream idat = new ByteArrayOutputStream();
            try (DeflaterOutputStream z = new DeflaterOutputStream(idat, new Deflater(Deflater.BEST_COMPRESSION), 1 << 16)) {
                byte[] row = new byte[width + 1]; // filter byte 0 + zero samples
                for (int y = 0; y < rowsWritten; y++) {
                    z.write(row);
                }
            }
            chunk(file, "IDAT", idat.toByteArray());
            chunk(file, "IEND", new byte[0]);
            return file.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("writing a PNG to memory failed", e);
        }
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        d.writeInt(data.length);
        d.write(typeBytes);
        d.write(data);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        d.writeInt((int) crc.getValue());
    }

    private static byte[] encode(BufferedImage img, String format) {
        Objects.requireNonNull(img, "img must not be null");
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (!ImageIO.write(img, format, out)) {
                throw new IllegalArgumentException("no " + format + " writer for image type " + img.getType());
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + format + " to memory failed", e);
        }
    }
}
