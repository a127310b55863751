package io.pirstream.imagery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pirstream.imagery.ImageRejectedException.Reason;
import io.pirstream.testkit.imagery.TestImagery;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;

class ImageDecoderTest {

    private final ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULTS);
    private final BufferedImage scene = TestImagery.image(120, 90, 11);

    @Test
    void decodesJpegPngAndTiff() throws ImageRejectedException {
        DecodedImage png = decoder.decode(TestImagery.png(scene));
        assertThat(png.format()).as("png format").isEqualTo(ImageFormat.PNG);
        assertThat(png.image().getRGB(0, 0, 120, 90, null, 0, 120)).as("png pixels")
                .isEqualTo(scene.getRGB(0, 0, 120, 90, null, 0, 120));
        assertThat(png.tiffMetadata()).as("png has no tiff tags").isEmpty();

        DecodedImage jpeg = decoder.decode(TestImagery.jpeg(scene));
        assertThat(jpeg.format()).as("jpeg format").isEqualTo(ImageFormat.JPEG);
        assertThat(jpeg.width()).as("jpeg width").isEqualTo(120);
        assertThat(jpeg.height()).as("jpeg height").isEqualTo(90);

        DecodedImage tiff = decoder.decode(TestImagery.tiff(scene));
        assertThat(tiff.format()).as("tiff format").isEqualTo(ImageFormat.TIFF);
        assertThat(tiff.tiffMetadata()).as("a tiff keeps its tags").isPresent();
    }

    @Test
    void emptyInput() {
        expect(new byte[0], Reason.EMPTY).hasMessageContaining("empty");
        expect(null, Reason.EMPTY).hasMessageContaining("0 bytes");
    }

    @Test
    void tooManyBytes() {
        ImageDecoder small = new ImageDecoder(new ImageLimits(1000, ImageLimits.DEFAULT_MAX_PIXELS, ImageLimits.DEFAULT_MAX_SIDE));
        byte[] png = TestImagery.png(scene);
        assertThatThrownBy(() -> small.decode(png)).as("file over maxBytes")
                .isInstanceOfSatisfying(ImageRejectedException.class, e -> assertThat(e.reason()).as("reason").isEqualTo(Reason.TOO_LARGE_BYTES))
                .hasMessageContaining(String.format(Locale.ROOT, "the file is %,d bytes", png.length)).hasMessageContaining("the limit is 1,000 bytes");
    }

    @Test
    void unsupportedFormatsSayWhatTheyLookLike() throws IOException {
        ByteArrayOutputStream gif = new ByteArrayOutputStream();
        ImageIO.write(scene, "gif", gif);
        expect(gif.toByteArray(), Reason.UNSUPPORTED_FORMAT).hasMessageContaining("(GIF)")
                .hasMessageContaining("JPEG, PNG and TIFF");
        expect("hello, world".getBytes(StandardCharsets.US_ASCII), Reason.UNSUPPORTED_FORMAT).hasMessageContaining("68 65 6C 6C");
        expect(new byte[] {'I', 'I', 43, 0, 8, 0, 0, 0}, Reason.UNSUPPORTED_FORMAT).hasMessageContaining("BigTIFF");
    }

    @Test
    void decompressionBombIsRejectedFromTheHeader() {
        // 20000 x 20000 grey pixels would be 400 MB decoded; the file holds a single row of data.
        expect(TestImagery.pngBomb(20_000, 20_000), Reason.TOO_MANY_PIXELS)
                .hasMessageContaining("20,000 x 20,000 px (400,000,000 pixels)").hasMessageContaining("limit is 150,000,000 pixels");
    }

    @Test
    void realCompressiblePngOverThePixelLimitIsRejected() {
        ImageDecoder small = new ImageDecoder(new ImageLimits(ImageLimits.DEFAULT_MAX_BYTES, 1_000_000, 10_000));
        byte[] png = TestImagery.compressiblePng(2000, 2000);
        assertThat(png.length).as("4 megapixels compress to a few kilobytes").isLessThan(20_000);
        assertThatThrownBy(() -> small.decode(png)).as("4 Mpx against a 1 Mpx limit")
                .isInstanceOfSatisfying(ImageRejectedException.class, e -> assertThat(e.reason()).as("reason").isEqualTo(Reason.TOO_MANY_PIXELS));
    }

    @Test
    void overlongSide() {
        expect(TestImagery.pngBomb(100_000, 10), Reason.SIDE_TOO_LONG).hasMessageContaining("100,000 x 10 px").hasMessageContaining("30,000 px per side");
    }

    @Test
    void truncatedFilesAreRejectedNotGreyFilled() {
        expect(TestImagery.truncated(TestImagery.jpeg(scene)), Reason.TRUNCATED).hasMessageContaining("JPEG").hasMessageContaining("FF D9");
        expect(TestImagery.truncated(TestImagery.png(scene)), Reason.TRUNCATED).hasMessageContaining("IEND");
        byte[] png = TestImagery.png(scene);
        expect(TestImagery.truncated(png, png.length - 1), Reason.TRUNCATED).hasMessageContaining("cut off in transfer");
    }

    @Test
    void truncatedTiffIsRejected() {
        byte[] tiff = TestImagery.tiff(scene);
        expect(TestImagery.truncated(tiff), Reason.TRUNCATED).hasMessageContaining("TIFF file is incomplete");
        expect(TestImagery.truncated(tiff, tiff.length - 1), Reason.TRUNCATED).hasMessageContaining("TIFF file is incomplete");
        // A TIFF with every tag inline and the pixels last: the reader checks the strip against the length.
        byte[] grey = minimalGreyTiff();
        assertThat(rejectionOrNull(grey)).as("the hand-made TIFF itself is valid").isNull();
        expect(TestImagery.truncated(grey, grey.length - 2), Reason.TRUNCATED)
                .hasMessageContaining(String.format(Locale.ROOT, "(%,d bytes received)", grey.length - 2)).hasMessageContaining("data ends early");
    }

    /** A 2 x 2 8-bit grey, uncompressed, little-endian TIFF: header, one IFD of inline values, 4 pixel bytes. */
    private static byte[] minimalGreyTiff() {
        int[][] entries = { // tag, type (3 SHORT, 4 LONG), value
                {256, 3, 2}, {257, 3, 2}, {258, 3, 8}, {259, 3, 1}, {262, 3, 1}, {273, 4, 0}, {277, 3, 1}, {278, 3, 2}, {279, 4, 4}};
        int dataOffset = 8 + 2 + entries.length * 12 + 4;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(dataOffset + 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(8);
        b.putShort((short) entries.length);
        for (int[] e : entries) {
            b.putShort((short) e[0]).putShort((short) e[1]).putInt(1);
            int value = e[0] == 273 ? dataOffset : e[2];
            if (e[1] == 3) {
                b.putShort((short) value).putShort((short) 0);
            } else {
                b.putInt(value);
            }
        }
        b.putInt(0); // no next IFD
        b.put(new byte[] {0, 64, (byte) 128, (byte) 255});
        return b.array();
    }

    @Test
    void truncatedJpegWithAnEndMarkerGluedOnIsCaughtByTheDecoderWarning() {
        byte[] half = TestImagery.truncated(TestImagery.jpeg(scene));
        byte[] patched = Arrays.copyOf(half, half.length + 2);
        patched[half.length] = (byte) 0xFF;
        patched[half.length + 1] = (byte) 0xD9;
        expect(patched, Reason.CORRUPT).hasMessageContaining("premature end of data segment");
    }

    @Test
    void corruptFiles() {
        expect(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 1, 2, 3, 4, 5, (byte) 0xFF, (byte) 0xD9}, Reason.CORRUPT)
                .hasMessageContaining("starts like a JPEG");
        byte[] png = TestImagery.png(scene);
        byte[] damaged = Arrays.copyOf(png, png.length);
        // Overwrite the middle of the compressed image data; the IEND chunk stays intact.
        Arrays.fill(damaged, png.length / 3, png.length / 2, (byte) 0x5A);
        expect(damaged, Reason.CORRUPT).hasMessageContaining("PNG");
    }

    @Test
    void limitsAreValidated() {
        assertThatThrownBy(() -> new ImageLimits(0, 1, 1)).as("zero maxBytes")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxBytes");
    }

    private AbstractThrowableAssert<?, ? extends Throwable> expect(byte[] bytes, Reason reason) {
        return assertThat(rejection(bytes)).as("rejection").satisfies(e -> assertThat(e.reason()).as("reason for: %s", e.getMessage()).isEqualTo(reason));
    }

    private ImageRejectedException rejectionOrNull(byte[] bytes) {
        try {
            decoder.decode(bytes);
            return null;
        } catch (ImageRejectedException e) {
            return e;
        }
    }

    private ImageRejectedException rejection(byte[] bytes) {
        try {
            DecodedImage image = decoder.decode(bytes);
            throw new AssertionError("expected a rejection, but decoded a " + image.format() + " of " + image.width() + " x " + image.height());
        } catch (ImageRejectedException e) {
            return e;
        }
    }
}
