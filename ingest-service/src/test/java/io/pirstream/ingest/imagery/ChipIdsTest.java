package io.pirstream.ingest.imagery;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.testkit.imagery.TestImagery;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ChipIdsTest {

    @Test
    void sceneDigestIsSha256OfTheBytes() {
        assertThat(ChipIds.sceneDigest("abc".getBytes(StandardCharsets.US_ASCII))).as("FIPS 180-2 test vector for \"abc\"")
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    @Test
    void sameScenesAndWindowGiveTheSameId() {
        byte[] scene = TestImagery.png(300, 200, 42);
        byte[] again = TestImagery.png(300, 200, 42);
        PixelWindow w = new PixelWindow(44, 0, 256, 200);
        assertThat(ChipIds.chipId(again, w)).as("re-sent scene, same window").isEqualTo(ChipIds.chipId(scene, w));
        assertThat(ChipIds.chipId(ChipIds.sceneDigest(scene), w)).as("digest overload agrees").isEqualTo(ChipIds.chipId(scene, w));
        assertThat(ChipIds.chipId(scene, w)).as("64 lower-case hex digits").matches("[0-9a-f]{64}");
    }

    @Test
    void differentWindowsOrScenesGiveDifferentIds() {
        String digest = ChipIds.sceneDigest(TestImagery.png(300, 200, 42));
        String base = ChipIds.chipId(digest, new PixelWindow(0, 0, 256, 200));
        assertThat(ChipIds.chipId(digest, new PixelWindow(1, 0, 256, 200))).as("x differs").isNotEqualTo(base);
        assertThat(ChipIds.chipId(digest, new PixelWindow(0, 1, 256, 200))).as("y differs").isNotEqualTo(base);
        assertThat(ChipIds.chipId(digest, new PixelWindow(0, 0, 255, 200))).as("width differs").isNotEqualTo(base);
        assertThat(ChipIds.chipId(digest, new PixelWindow(0, 0, 256, 199))).as("height differs").isNotEqualTo(base);
        String other = ChipIds.sceneDigest(TestImagery.png(300, 200, 43));
        assertThat(ChipIds.chipId(other, new PixelWindow(0, 0, 256, 200))).as("other scene").isNotEqualTo(base);
    }
}
