package io.pirstream.ingest.imagery;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.imagery.DecodedImage;
import io.pirstream.imagery.ImageDecoder;
import io.pirstream.imagery.ImageLimits;
import io.pirstream.imagery.ImageRejectedException;
import io.pirstream.testkit.imagery.HostileImages;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every file of the hostile-image corpus gets its outcome from the decoder, and accepted ones make sound chips. */
class HostileImageTest {

    private final ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULTS);

    static Stream<HostileImages.Case> corpus() {
        return HostileImages.cases().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void eachFileGetsItsOutcome(HostileImages.Case file) throws IOException {
        DecodedImage image;
        try {
            image = decoder.decode(file.bytes());
        } catch (ImageRejectedException e) {
            assertThat(e.reason().name()).as("%s refused: %s", file.name(), e.getMessage()).isEqualTo(file.outcome());
            assertThat(e.getMessage()).as("a message for a person").isNotBlank();
            return;
        }
        assertThat(file.outcome()).as("%s decoded as %s %d x %d", file.name(), image.format(), image.width(),
                image.height()).isEqualTo(HostileImages.ACCEPTED);
        PixelWindow whole = PixelWindow.whole(image.width(), image.height());
        BufferedImage chip = ImageIO.read(new ByteArrayInputStream(ChipEncoder.chip(image.image(), whole, ChipFormat.PNG)));
        assertThat(chip).as("%s: its chip is a readable PNG", file.name()).isNotNull();
        assertThat(chip.getWidth()).as("chip width").isEqualTo(image.width());
        int x = image.width() / 2;
        int y = image.height() / 2;
        assertThat(Integer.toHexString(chip.getRGB(x, y) & 0xFFFFFF)).as("%s: chip colour at (%d, %d)", file.name(), x, y)
                .isEqualTo(Integer.toHexString(image.image().getRGB(x, y) & 0xFFFFFF));
    }
}
