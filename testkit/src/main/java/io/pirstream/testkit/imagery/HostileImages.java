package io.pirstream.testkit.imagery;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * A corpus of hostile and unusual image files with the outcome each must get from an image reader: refused with a
 * reason (the names of ingest's rejection reasons) or {@link #ACCEPTED}. Malformed files, decompression bombs, files
 * that loop, formats that are not images, and legitimate oddities (CMYK, 16-bit, alpha) that must not be refused.
 */
public final class HostileImages {

    /** The outcome of a file that must be decoded. */
    public static final String ACCEPTED = "ACCEPTED";

    /**
     * One file of the corpus.
     *
     * @param name what it is, for test names
     * @param bytes the file
     * @param outcome {@link #ACCEPTED} or the reason it must be refused with
     */
    public record Case(String name, byte[] bytes, String outcome) {
        @Override
        public String toString() {
            return name;
        }
    }

    private HostileImages() {
    }

    /** Every case, each file built fresh. */
    public static List<Case> cases() {
        byte[] png = TestImagery.png(120, 90, 3);
        byte[] jpeg = TestImagery.jpeg(120, 90, 3);
        byte[] tiff = TestImagery.tiff(TestImagery.image(120, 90, 3));
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("empty file", new byte[0], "EMPTY"));
        cases.add(new Case("truncated PNG", TestImagery.truncated(png), "TRUNCATED"));
        cases.add(new Case("truncated JPEG", TestImagery.truncated(jpeg), "TRUNCATED"));
        cases.add(new Case("truncated TIFF", TestImagery.truncated(tiff), "TRUNCATED"));
        cases.add(new Case("PNG signature only", Arrays.copyOf(png, 8), "TRUNCATED"));
        cases.add(new Case("fake PNG header, garbage after", withTail(Arrays.copyOf(png, 8), 64), "CORRUPT"));
        cases.add(new Case("fake JPEG header, garbage after", withTail(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF,
                (byte) 0xE0, 0, 0x10, 'J', 'F', 'I', 'F', 0}, 64), "CORRUPT"));
        cases.add(new Case("fake TIFF header, IFD past the end", new byte[] {'I', 'I', 42, 0, (byte) 0xFF, (byte) 0xFF,
                (byte) 0xFF, 0x7F}, "TRUNCATED"));
        cases.add(new Case("JPEG frame of 0 x 0 px", new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xC0, 0,
                11, 8, 0, 0, 0, 0, 1, 1, 0x11, 0, (byte) 0xFF, (byte) 0xD9}, "CORRUPT"));
        cases.add(new Case("PNG bomb, 20000 x 20000 px in a few bytes", TestImagery.pngBomb(20_000, 20_000),
                "TOO_MANY_PIXELS"));
        cases.add(new Case("PNG 100000 px wide", TestImagery.pngBomb(100_000, 10), "SIDE_TOO_LONG"));
        cases.add(new Case("JPEG claiming 65000 x 65000 px", jpegClaiming(65_000, 65_000), "SIDE_TOO_LONG"));
        cases.add(new Case("TIFF claiming 60000 x 60000 px", greyTiff(60_000, 60_000, List.of(), 0), "SIDE_TOO_LONG"));
        cases.add(new Case("PNG with a bad IHDR CRC", flip(png, 30), "CORRUPT"));
        cases.add(new Case("PNG with a bad CRC in its last IDAT", flip(png, png.length - 13), "CORRUPT"));
        cases.add(new Case("PNG chunk claiming 2 GB", pngWithChunk(png, "tEXt", 0x7FFF_FFF0), "CORRUPT"));
        cases.add(new Case("TIFF whose next IFD is itself (loop)", greyTiff(2, 2, List.of(), 8), ACCEPTED));
        cases.add(new Case("TIFF whose Exif IFD is itself (loop)", greyTiff(2, 2, List.of(new int[] {34665, 4, 8}), 0),
                ACCEPTED));
        cases.add(new Case("TIFF whose SubIFD is itself (loop)", greyTiff(2, 2, List.of(new int[] {330, 13, 8}), 0),
                ACCEPTED));
        cases.add(new Case("TIFF tag claiming 2^30 values", greyTiff(2, 2, List.of(new int[] {305, 2, 100, 1 << 30}), 0),
                ACCEPTED));
        cases.add(new Case("GIF", encode(TestImagery.image(32, 32, 1), "gif"), "UNSUPPORTED_FORMAT"));
        cases.add(new Case("SVG with an XXE entity", ("<?xml version=\"1.0\"?><!DOCTYPE svg [<!ENTITY x SYSTEM"
                + " \"file:///etc/passwd\">]><svg xmlns=\"http://www.w3.org/2000/svg\">&x;</svg>")
                .getBytes(StandardCharsets.UTF_8), "UNSUPPORTED_FORMAT"));
        cases.add(new Case("BigTIFF", new byte[] {'I', 'I', 43, 0, 8, 0, 0, 0}, "UNSUPPORTED_FORMAT"));
        cases.add(new Case("BMP", withTail(new byte[] {'B', 'M'}, 62), "UNSUPPORTED_FORMAT"));
        cases.add(new Case("PDF", "%PDF-1.7\n%\u00e2\u00e3\n".getBytes(StandardCharsets.ISO_8859_1),
                "UNSUPPORTED_FORMAT"));
        cases.add(new Case("CMYK JPEG", cmykJpeg(), ACCEPTED));
        cases.add(new Case("16-bit grey PNG", sixteenBitGreyPng(), ACCEPTED));
        cases.add(new Case("16-bit RGB TIFF", encode(sixteenBitRgb(), "tiff"), ACCEPTED));
        cases.add(new Case("RGBA PNG", encode(new BufferedImage(64, 48, BufferedImage.TYPE_INT_ARGB), "png"), ACCEPTED));
        cases.add(new Case("palette PNG", encode(new BufferedImage(64, 48, BufferedImage.TYPE_BYTE_INDEXED), "png"),
                ACCEPTED));
        return cases;
    }

    /** {@code head} followed by {@code tail} pseudo-random bytes. */
    private static byte[] withTail(byte[] head, int tail) {
        byte[] out = Arrays.copyOf(head, head.length + tail);
        for (int i = head.length; i < out.length; i++) {
            out[i] = (byte) (i * 131 + 7);
        }
        return out;
    }

    private static byte[] flip(byte[] data, int at) {
        byte[] copy = data.clone();
        copy[at] ^= 0x55;
        return copy;
    }

    /** {@code png} with a chunk inserted after IHDR whose length field says {@code claimedLength}. */
    private static byte[] pngWithChunk(byte[] png, String type, int claimedLength) {
        int afterIhdr = 8 + 12 + 13;
        ByteBuffer chunk = ByteBuffer.allocate(12 + 4);
        chunk.putInt(claimedLength).put(type.getBytes(StandardCharsets.US_ASCII)).put(new byte[] {'a', 'b', 'c', 'd'});
        CRC32 crc = new CRC32();
        crc.update(chunk.array(), 4, 8);
        chunk.putInt((int) crc.getValue());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(png, 0, afterIhdr);
        out.writeBytes(chunk.array());
        out.write(png, afterIhdr, png.length - afterIhdr);
        return out.toByteArray();
    }

    /** A real baseline JPEG whose frame header (SOF0) is patched to claim {@code width x height}. */
    private static byte[] jpegClaiming(int width, int height) {
        byte[] jpeg = TestImagery.jpeg(16, 16, 1);
        for (int i = 2; i + 8 < jpeg.length; i++) {
            if ((jpeg[i] & 0xFF) == 0xFF && (jpeg[i + 1] & 0xFF) == 0xC0) {
                jpeg[i + 5] = (byte) (height >> 8);
                jpeg[i + 6] = (byte) height;
                jpeg[i + 7] = (byte) (width >> 8);
                jpeg[i + 8] = (byte) width;
                return jpeg;
            }
        }
        throw new IllegalStateException("the JPEG writer wrote no SOF0 marker");
    }

    /**
     * A little-endian, uncompressed 8-bit grey TIFF of one IFD with inline values and 4 pixel bytes, plus
     * {@code extra} entries {@code {tag, type, value[, count]}}, and {@code nextIfd} as the next IFD's offset.
     */
    private static byte[] greyTiff(int width, int height, List<int[]> extra, int nextIfd) {
        List<int[]> entries = new ArrayList<>(List.of(new int[] {256, 4, width}, new int[] {257, 4, height},
                new int[] {258, 3, 8}, new int[] {259, 3, 1}, new int[] {262, 3, 1}, new int[] {273, 4, -1},
                new int[] {277, 3, 1}, new int[] {278, 4, height}, new int[] {279, 4, 4}));
        entries.addAll(extra);
        entries.sort((a, b) -> Integer.compare(a[0], b[0]));
        int dataOffset = 8 + 2 + entries.size() * 12 + 4;
        ByteBuffer b = ByteBuffer.allocate(dataOffset + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(8);
        b.putShort((short) entries.size());
        for (int[] e : entries) {
            b.putShort((short) e[0]).putShort((short) e[1]).putInt(e.length > 3 ? e[3] : 1);
            int value = e[2] == -1 ? dataOffset : e[2];
            if (e[1] == 3) {
                b.putShort((short) value).putShort((short) 0);
            } else {
                b.putInt(value);
            }
        }
        b.putInt(nextIfd);
        b.put(new byte[] {0, 64, (byte) 128, (byte) 255});
        return b.array();
    }

    /** A 4-channel (CMYK, Adobe) JPEG, as print workflows produce. */
    private static byte[] cmykJpeg() {
        WritableRaster raster = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 64, 48, 4, null);
        for (int y = 0; y < 48; y++) {
            for (int x = 0; x < 64; x++) {
                raster.setSample(x, y, 0, 200);
                raster.setSample(x, y, 1, x * 3);
                raster.setSample(x, y, 3, 50);
            }
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(new IIOImage(raster, null, null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    private static byte[] sixteenBitGreyPng() {
        BufferedImage grey = new BufferedImage(64, 48, BufferedImage.TYPE_USHORT_GRAY);
        for (int y = 0; y < 48; y++) {
            for (int x = 0; x < 64; x++) {
                grey.getRaster().setSample(x, y, 0, x * 1000 + y);
            }
        }
        return encode(grey, "png");
    }

    private static BufferedImage sixteenBitRgb() {
        ComponentColorModel model = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
                java.awt.Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster raster = Raster.createInterleavedRaster(DataBuffer.TYPE_USHORT, 64, 48, 3, null);
        for (int y = 0; y < 48; y++) {
            for (int x = 0; x < 64; x++) {
                raster.setSample(x, y, 0, x * 1000);
                raster.setSample(x, y, 2, y * 1000);
            }
        }
        return new BufferedImage(model, raster, false, null);
    }

    private static byte[] encode(BufferedImage image, String format) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (!ImageIO.write(image, format, out)) {
                throw new IllegalStateException("no " + format + " writer for " + image);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
