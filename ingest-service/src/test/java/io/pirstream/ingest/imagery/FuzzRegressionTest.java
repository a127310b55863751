package io.pirstream.ingest.imagery;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.imagery.DecodedImage;
import io.pirstream.imagery.ImageDecoder;
import io.pirstream.imagery.ImageLimits;
import io.pirstream.imagery.ImageRejectedException;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Inputs the fuzzer once found failing ({@code src/test/resources/fuzz-regressions}, see RELIABILITY.md): each must
 * now be decoded into sound chips or refused with a reason, like any other upload.
 */
class FuzzRegressionTest {

    static Stream<Path> inputs() throws IOException, URISyntaxException {
        Path folder = Path.of(FuzzRegressionTest.class.getResource("/fuzz-regressions").toURI());
        return Files.list(folder).filter(f -> f.toString().endsWith(".bin")).sorted();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inputs")
    void decodesIntoSoundChipsOrIsRefused(Path input) throws IOException {
        DecodedImage image;
        try {
            image = new ImageDecoder(ImageLimits.DEFAULTS).decode(Files.readAllBytes(input));
        } catch (ImageRejectedException refused) {
            assertThat(refused.getMessage()).as("refusal of %s", input.getFileName()).isNotBlank();
            return;
        }
        PixelWindow window = new PixelWindow(0, 0, Math.min(64, image.width()), Math.min(64, image.height()));
        BufferedImage chip = ImageIO.read(new ByteArrayInputStream(ChipEncoder.chip(image.image(), window,
                ChipFormat.PNG)));
        for (int y = 0; y < window.height(); y += 7) {
            for (int x = 0; x < window.width(); x += 5) {
                assertThat(Integer.toHexString(chip.getRGB(x, y) & 0xFFFFFF)).as("%s: pixel (%d, %d)",
                        input.getFileName(), x, y).isEqualTo(Integer.toHexString(image.image().getRGB(x, y) & 0xFFFFFF));
            }
        }
    }
}
