package io.pirstream.testkit.imagery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.plugins.tiff.TIFFDirectory;
import javax.imageio.plugins.tiff.TIFFField;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;

class TestImageryTest {

    @Test
    void sameSeedSamePixelsOtherSeedOtherPixels() {
        BufferedImage a = TestImagery.image(64, 48, 7);
        BufferedImage b = TestImagery.image(64, 48, 7);
        BufferedImage c = TestImagery.image(64, 48, 8);
        assertThat(pixels(a)).as("same seed must give identical pixels").isEqualTo(pixels(b));
        assertThat(pixels(a)).as("different seeds must give different pixels").isNotEqualTo(pixels(c));
    }

    @Test
    void differentWindowsOfOneSceneDiffer() {
        BufferedImage img = TestImagery.image(256, 256, 1);
        int[] topLeft = img.getRGB(0, 0, 32, 32, null, 0, 32);
        int[] topRight = img.getRGB(224, 0, 32, 32, null, 0, 32);
        int[] bottomLeft = img.getRGB(0, 224, 32, 32, null, 0, 32);
        assertThat(topLeft).as("windows to the east must differ").isNotEqualTo(topRight);
        assertThat(topLeft).as("windows to the south must differ").isNotEqualTo(bottomLeft);
    }

    @Test
    void jpegAndPngDecodeToTheRightSize() throws IOException {
        BufferedImage png = ImageIO.read(new ByteArrayInputStream(TestImagery.png(40, 30, 3)));
        BufferedImage jpeg = ImageIO.read(new ByteArrayInputStream(TestImagery.jpeg(40, 30, 3)));
        assertThat(png.getWidth()).as("png width").isEqualTo(40);
        assertThat(png.getHeight()).as("png height").isEqualTo(30);
        assertThat(pixels(png)).as("PNG is lossless").isEqualTo(pixels(TestImagery.image(40, 30, 3)));
        assertThat(jpeg.getWidth()).as("jpeg width").isEqualTo(40);
        assertThat(jpeg.getHeight()).as("jpeg height").isEqualTo(30);
    }

    @Test
    void geoTiffRoundTripsItsTags() throws IOException {
        BufferedImage img = TestImagery.image(50, 20, 5);
        byte[] tiff = TestImagery.geoTiff(img, 12.5, 45.25, 0.001, 0.002);

        TIFFDirectory dir = readDirectory(tiff);
        TIFFField scale = dir.getTIFFField(GeoTiffWriter.TAG_MODEL_PIXEL_SCALE);
        TIFFField tie = dir.getTIFFField(GeoTiffWriter.TAG_MODEL_TIEPOINT);
        TIFFField keys = dir.getTIFFField(GeoTiffWriter.TAG_GEO_KEY_DIRECTORY);
        assertThat(scale).as("ModelPixelScaleTag present").isNotNull();
        assertThat(tie).as("ModelTiepointTag present").isNotNull();
        assertThat(keys).as("GeoKeyDirectoryTag present").isNotNull();
        assertThat(scale.getAsDoubles()).as("pixel scale").containsExactly(0.001, 0.002, 0.0);
        assertThat(tie.getAsDoubles()).as("tiepoint").containsExactly(0, 0, 0, 12.5, 45.25, 0);
        assertThat(shorts(keys)).as("geo keys: geographic, PixelIsArea, EPSG:4326")
                .containsExactly(1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326);
        assertThat(pixels(ImageIO.read(new ByteArrayInputStream(tiff)))).as("TIFF pixels are lossless").isEqualTo(pixels(img));
    }

    @Test
    void projectedGeoTiffDeclaresItsEpsgCode() throws IOException {
        byte[] tiff = TestImagery.geoTiffProjected(TestImagery.image(8, 8, 1), 32633, 500000, 4649776, 10, 10);
        TIFFField keys = readDirectory(tiff).getTIFFField(GeoTiffWriter.TAG_GEO_KEY_DIRECTORY);
        assertThat(shorts(keys)).as("geo keys: projected, PixelIsArea, EPSG:32633")
                .containsExactly(1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32633);
    }

    @Test
    void plainTiffHasNoGeoTags() throws IOException {
        TIFFDirectory dir = readDirectory(TestImagery.tiff(TestImagery.image(8, 8, 1)));
        assertThat(dir.getTIFFField(GeoTiffWriter.TAG_MODEL_TIEPOINT)).as("no tiepoint").isNull();
        assertThat(dir.getTIFFField(GeoTiffWriter.TAG_GEO_KEY_DIRECTORY)).as("no geo keys").isNull();
    }

    @Test
    void pngBombIsTinyButClaimsHugeDimensions() throws IOException {
        byte[] bomb = TestImagery.pngBomb(100_000, 100_000);
        assertThat(bomb.length).as("bomb file size").isLessThan(1000);
        ImageReader reader = ImageIO.getImageReadersByFormatName("png").next();
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bomb))) {
            reader.setInput(in);
            assertThat(reader.getWidth(0)).as("claimed width").isEqualTo(100_000);
            assertThat(reader.getHeight(0)).as("claimed height").isEqualTo(100_000);
        } finally {
            reader.dispose();
        }
    }

    @Test
    void compressiblePngIsSmallAndDecodes() throws IOException {
        byte[] png = TestImagery.compressiblePng(300, 200);
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
        assertThat(img.getWidth()).as("width").isEqualTo(300);
        assertThat(img.getHeight()).as("height").isEqualTo(200);
        assertThat(png.length).as("compressed size").isLessThan(2000);
    }

    @Test
    void truncatedKeepsThePrefix() {
        byte[] data = {1, 2, 3, 4, 5};
        assertThat(TestImagery.truncated(data)).as("half").containsExactly(1, 2);
        assertThat(TestImagery.truncated(data, 4)).as("first four").containsExactly(1, 2, 3, 4);
        assertThatThrownBy(() -> TestImagery.truncated(data, 6)).as("keep beyond the end").isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void invalidSizeIsRejected() {
        assertThatThrownBy(() -> TestImagery.image(0, 5, 1)).as("zero width")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 x 5");
    }

    private static TIFFDirectory readDirectory(byte[] tiff) throws IOException {
        ImageReader reader = ImageIO.getImageReadersByFormatName("tiff").next();
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(tiff))) {
            reader.setInput(in);
            return TIFFDirectory.createFromMetadata(reader.getImageMetadata(0));
        } finally {
            reader.dispose();
        }
    }

    private static int[] shorts(TIFFField field) {
        int[] out = new int[field.getCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = field.getAsInt(i);
        }
        return out;
    }

    private static int[] pixels(BufferedImage img) {
        return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
    }
}
