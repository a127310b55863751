package io.pirstream.ingest;

import static io.pirstream.ingest.IngestApiIT.expectProblem;
import static io.pirstream.ingest.IngestApiIT.upload;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.pirstream.ingest.imagery.ChipIds;
import io.pirstream.ingest.imagery.PixelWindow;
import io.pirstream.testkit.imagery.TestImagery;
import io.pirstream.testkit.quarkus.EmbeddedKafkaResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.awt.image.BufferedImage;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Work per upload is bounded before any is done, and an upload that cannot be written leaves nothing behind. */
@QuarkusTest
@QuarkusTestResource(EmbeddedKafkaResource.class)
class IngestLimitsIT {

    /** The attack of issue 12: 36 million chips asked of a few kilobytes of PNG. */
    private static final byte[] ONE_COLOUR_6000 = TestImagery.compressiblePng(6000, 6000);

    @Test
    void theIssuesAttackIsRefusedFromTheRequestAlone() throws Exception {
        assertThat(ONE_COLOUR_6000.length).as("a 6000 x 6000 px one-colour PNG is small").isLessThan(100_000);
        long before = ChipTopic.endOffsetSum();

        expectProblem(upload(ONE_COLOUR_6000, "flat.png").multiPart("chipSize", "32").multiPart("overlap", "31")
                .post("/v1/scenes").then(), 400, "INVALID_TILING", "less than half of chipSize 32");

        assertThat(ChipTopic.endOffsetSum()).as("nothing written").isEqualTo(before);
    }

    @Test
    void tooManyChipsAreRefusedFromTheHeaderBeforeDecoding() throws Exception {
        long before = ChipTopic.endOffsetSum();

        // step 17: 353 x 353 = 124,609 chips, over the default 10,000
        expectProblem(upload(ONE_COLOUR_6000, "flat.png").multiPart("chipSize", "32").multiPart("overlap", "15")
                .post("/v1/scenes").then(), 413, "TOO_MANY_CHIPS", "124,609 chips")
                .body("detail", org.hamcrest.Matchers.containsString("pirstream.ingest.max-chips"));

        assertThat(ChipTopic.endOffsetSum()).as("nothing written").isEqualTo(before);
    }

    @Test
    void chipSizesOutsideTheLimitsAreRefused() {
        byte[] png = TestImagery.png(300, 300, 4);
        expectProblem(upload(png, "s.png").multiPart("chipSize", "16").post("/v1/scenes").then(), 400,
                "INVALID_TILING", "32..2048");
        expectProblem(upload(png, "s.png").multiPart("chipSize", "4096").post("/v1/scenes").then(), 400,
                "INVALID_TILING", "32..2048");
        expectProblem(upload(png, "s.png").multiPart("chipSize", "64").multiPart("overlap", "-1").post("/v1/scenes")
                .then(), 400, "INVALID_TILING", "overlap must be 0..31");
        expectProblem(upload(png, "s.png").multiPart("chipSize", "many").post("/v1/scenes").then(), 400,
                "INVALID_TILING", "whole number");
    }

    @Test
    void theLargestAllowedOverlapStillTiles() {
        // 300 px at 64 px chips, overlap 31 (step 33): starts 0, 33, ..., 231 and 236 at the edge: 9 per side
        upload(TestImagery.png(300, 300, 4), "s.png").multiPart("chipSize", "64").multiPart("overlap", "31")
                .post("/v1/scenes").then().statusCode(200).body("chipCount", equalTo(81));
    }

    @Test
    void aChipTooLargeForItsRecordAbortsTheWholeUpload() throws Exception {
        // two 2048 px chips: the top one flat (small), the bottom one noise (about 12 MB of PNG, over a record)
        BufferedImage scene = new BufferedImage(2048, 4096, BufferedImage.TYPE_INT_RGB);
        SplittableRandom random = new SplittableRandom(12);
        for (int y = 2048; y < 4096; y++) {
            for (int x = 0; x < 2048; x++) {
                scene.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        byte[] png = TestImagery.png(scene);
        long before = ChipTopic.endOffsetSum();

        expectProblem(upload(png, "noise.png").multiPart("chipSize", "2048").post("/v1/scenes").then(), 413,
                "CHIP_TOO_LARGE", "smaller chipSize");

        String topChip = ChipIds.chipId(png, new PixelWindow(0, 0, 2048, 2048));
        assertThat(ChipTopic.committedKeys()).as("the flat chip, made before the noisy one, is not committed")
                .doesNotContain(topChip);
        // chips are sent only once all are made, so a transaction never stays open on the topic (holding back every
        // read_committed reader) while a scene is cut: this one, refused while cut, never opened one
        assertThat(ChipTopic.endOffsetSum()).as("nothing sent, not even an aborted chip").isEqualTo(before);
    }
}
