package io.pirstream.ingest.imagery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pirstream.testkit.imagery.TestImagery;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class ChipEncoderTest {

    @Test
    void extractCopiesExactlyTheWindow() {
        BufferedImage src = TestImagery.image(100, 80, 9);
        PixelWindow w = new PixelWindow(30, 20, 50, 40);
        BufferedImage chip = ChipEncoder.extract(src, w);
        assertThat(chip.getWidth()).as("chip width").isEqualTo(50);
        assertThat(chip.getHeight()).as("chip height").isEqualTo(40);
        assertThat(rgb(chip, 0, 0, 50, 40)).as("chip pixels equal the source window").isEqualTo(rgb(src, 30, 20, 50, 40));
        int before = chip.getRGB(0, 0);
        src.setRGB(30, 20, ~before);
        assertThat(chip.getRGB(0, 0)).as("the chip does not share the source's raster").isEqualTo(before);
    }

    @Test
    void pngChipIsLossless() throws IOException {
        BufferedImage src = TestImagery.image(100, 80, 9);
        PixelWindow w = new PixelWindow(60, 40, 40, 40);
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(ChipEncoder.chip(src, w, ChipFormat.PNG)));
        assertThat(rgb(decoded, 0, 0, 40, 40)).as("PNG chip round-trips exactly").isEqualTo(rgb(src, 60, 40, 40, 40));
    }

    @Test
    void jpegChipOfAnImageWithAlphaIsWritten() throws IOException {
        BufferedImage argb = new BufferedImage(20, 10, BufferedImage.TYPE_INT_ARGB);
        byte[] jpeg = ChipEncoder.encode(argb, ChipFormat.JPEG);
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(jpeg));
        assertThat(decoded.getWidth()).as("JPEG chip width").isEqualTo(20);
    }

    @Test
    void windowOutsideTheImageIsRejected() {
        BufferedImage src = TestImagery.image(10, 10, 1);
        assertThatThrownBy(() -> ChipEncoder.extract(src, new PixelWindow(5, 5, 6, 5))).as("one column too far")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not fit in a 10 x 10 image");
    }

    private static int[] rgb(BufferedImage img, int x, int y, int w, int h) {
        return img.getRGB(x, y, w, h, null, 0, w);
    }
}
