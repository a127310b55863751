package io.pirstream.imagery;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.testkit.imagery.TestImagery;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ImageFormatTest {

    @Test
    void sniffsAcceptedFormatsByMagicBytes() {
        assertThat(ImageFormat.sniff(TestImagery.jpeg(8, 8, 1))).as("JPEG").contains(ImageFormat.JPEG);
        assertThat(ImageFormat.sniff(TestImagery.png(8, 8, 1))).as("PNG").contains(ImageFormat.PNG);
        assertThat(ImageFormat.sniff(TestImagery.tiff(TestImagery.image(8, 8, 1)))).as("TIFF").contains(ImageFormat.TIFF);
        assertThat(ImageFormat.sniff(new byte[] {'M', 'M', 0, 42})).as("big-endian TIFF").contains(ImageFormat.TIFF);
        assertThat(ImageFormat.sniff(new byte[] {(byte) 0xFF, (byte) 0xD8})).as("too short to be a JPEG").isEmpty();
    }

    @Test
    void namesCommonUnsupportedFormats() {
        assertThat(ImageFormat.describeUnsupported(ascii("RIFF\0\0\0\0WEBPVP8 "))).as("WebP").isEqualTo("WebP");
        assertThat(ImageFormat.describeUnsupported(ascii("BM\0\0\0\0"))).as("BMP").isEqualTo("BMP");
        assertThat(ImageFormat.describeUnsupported(ascii("\0\0\0\u0018ftypheic"))).as("HEIC").contains("HEIC");
        assertThat(ImageFormat.describeUnsupported(ascii("%PDF-1.7"))).as("PDF").isEqualTo("PDF");
        assertThat(ImageFormat.describeUnsupported(new byte[] {1, 2})).as("unknown").isEqualTo("unknown data starting with bytes 01 02");
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
