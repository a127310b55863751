package io.pirstream.ingest.imagery;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.imagery.DecodedImage;
import io.pirstream.imagery.ImageDecoder;
import io.pirstream.imagery.ImageLimits;
import io.pirstream.imagery.ImageRejectedException;
import io.pirstream.testkit.fuzz.FuzzLoop;
import io.pirstream.testkit.fuzz.Mutator;
import io.pirstream.testkit.imagery.HostileImages;
import io.pirstream.testkit.imagery.TestImagery;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the image header and decoding path, and the chip encoder behind it, for a fixed time: every input must
 * decode or be refused with an {@link ImageRejectedException}; nothing else may escape, no input may hang, and the
 * heap is small, so unbounded allocation shows. Not part of the default build: {@code ./mvnw -Pfuzz -pl
 * ingest-service test} (see RELIABILITY.md).
 */
class ImageDecoderFuzz {

    /** Tight limits, so an accepted input's raster fits the fuzzing heap many times over. */
    static final ImageLimits LIMITS = new ImageLimits(16L * 1024 * 1024, 4_000_000, 4096);

    @Test
    void decodingNeverFailsOutsideItsContract() {
        long seed = Long.getLong("pirstream.fuzz.seed", 12);
        Duration duration = Duration.ofSeconds(Long.getLong("pirstream.fuzz.seconds", 60));
        ImageDecoder decoder = new ImageDecoder(LIMITS);
        FuzzLoop.Report report = FuzzLoop.run("image-decoder", new Mutator(seed, seeds(), 1 << 20), seed, duration,
                Duration.ofSeconds(20), input -> {
                    try {
                        DecodedImage image = decoder.decode(input);
                        PixelWindow corner = new PixelWindow(0, 0, Math.min(64, image.width()), Math.min(64, image.height()));
                        ChipEncoder.chip(image.image(), corner, ChipFormat.PNG);
                    } catch (ImageRejectedException refused) {
                        assertThat(refused.getMessage()).as("refusal message").isNotBlank();
                    }
                }, thrown -> false, Path.of("target", "fuzz-findings"));
        System.out.println("FUZZ " + report.summary());
        assertThat(report.findings()).as(report.summary() + "; inputs saved in target/fuzz-findings").isEmpty();
    }

    /** Valid images of every accepted format and the hostile corpus: mutations start near both. */
    static List<byte[]> seeds() {
        List<byte[]> seeds = new ArrayList<>();
        seeds.add(TestImagery.png(40, 30, 1));
        seeds.add(TestImagery.jpeg(40, 30, 2));
        seeds.add(TestImagery.tiff(TestImagery.image(40, 30, 3)));
        seeds.add(TestImagery.geoTiff(TestImagery.image(40, 30, 4), 10, 50, 0.001, 0.001));
        seeds.add(TestImagery.geoTiffProjected(TestImagery.image(40, 30, 5), 32633, 500_000, 5_300_000, 10, 10));
        seeds.add(TestImagery.compressiblePng(300, 200));
        HostileImages.cases().forEach(c -> seeds.add(c.bytes()));
        return seeds;
    }
}
