package io.pirstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.ingest.imagery.ChipIds;
import io.pirstream.ingest.imagery.PixelWindow;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.Source;
import io.pirstream.testkit.imagery.TestImagery;
import io.pirstream.testkit.quarkus.EmbeddedKafkaResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Files dropped into the watched folder are ingested once and moved to done/ or failed/, one bad file never holding up the rest. */
@QuarkusTest
@QuarkusTestResource(EmbeddedKafkaResource.class)
@TestProfile(DropFolderIT.WithDropFolder.class)
class DropFolderIT {

    static final Path FOLDER = createFolder("pirstream-drop-");
    static final int MAX_FRAME_BYTES = 1_000_000;

    /** Enables the watcher on a fresh temporary folder. */
    public static class WithDropFolder implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("pirstream.ingest.drop-folder.path", FOLDER.toString(),
                    "pirstream.ingest.drop-folder.settle-time", "0s",
                    "pirstream.ingest.drop-folder.poll-interval", "0.2s",
                    "pirstream.ingest.max-frame-bytes", String.valueOf(MAX_FRAME_BYTES));
        }
    }

    @Test
    void droppedFramesAreIngestedOrRejectedAndMovedAside() throws Exception {
        byte[] frame = TestImagery.png(200, 150, 11);
        Files.write(FOLDER.resolve("frame-1.png.part"), frame); // still being copied: ignored
        Files.write(FOLDER.resolve("frame-1.png.json"), """
                {"platform": "dji-m300", "capturedAt": "2025-11-20T08:00:00Z", "centre": "8.5,47.3"}
                """.getBytes());
        // files appear whole, by rename, as a copy tool does: the scanner may pick them up at once (no settle time)
        Files.setLastModifiedTime(FOLDER.resolve("frame-1.png.part"), FileTime.from(Instant.now().minusSeconds(5)));
        Files.move(FOLDER.resolve("frame-1.png.part"), FOLDER.resolve("frame-1.png"));
        Files.write(FOLDER.resolve("broken.jpg.part"), TestImagery.truncated(TestImagery.jpeg(100, 100, 2)));
        Files.move(FOLDER.resolve("broken.jpg.part"), FOLDER.resolve("broken.jpg"));

        awaitFile(FOLDER.resolve("done/frame-1.png"));
        awaitFile(FOLDER.resolve("failed/broken.jpg.reason.txt"));

        assertThat(FOLDER.resolve("done/frame-1.png.json")).as("sidecar moved with its frame").exists();
        assertThat(FOLDER.resolve("frame-1.png")).as("ingested frame left the folder").doesNotExist();
        assertThat(Files.readString(FOLDER.resolve("failed/broken.jpg.reason.txt"))).as("reason beside the failed file")
                .startsWith("TRUNCATED");
        String chipId = ChipIds.chipId(frame, new PixelWindow(0, 0, 200, 150));
        Map<String, Chip> chips = ChipTopic.read(List.of(chipId));
        assertThat(chips).as("chip of the dropped frame on the topic").containsKey(chipId);
        assertThat(chips.get(chipId).getPlatform()).as("platform from the sidecar").isEqualTo("dji-m300");
    }

    @Test
    void badFilesDoNotHoldUpTheFilesAfterThem() throws Exception {
        Path outside = createFolder("pirstream-outside-").resolve("secret.png");
        Files.write(outside, TestImagery.png(64, 64, 31));
        Path stored = Files.createDirectories(FOLDER.resolve("store")).resolve("inside.png");
        byte[] linkedFrame = TestImagery.png(96, 64, 32);
        Files.write(stored, linkedFrame);
        byte[] lastFrame = TestImagery.png(64, 96, 33);
        byte[] oversized = java.util.Arrays.copyOf(TestImagery.png(8, 8, 1), MAX_FRAME_BYTES + 1);

        // names sort the bad files first; each appears whole, as a copy tool's rename does
        // a link to itself, made outside and moved in: two links made in the folder one after the other would be a
        // dangling link until the second exists, and the scanner (no settle time) may see it then
        Path loop = createFolder("pirstream-loop-").resolve("a-loop.png");
        Files.createSymbolicLink(loop, loop.getFileName());
        Files.move(loop, FOLDER.resolve("a-loop.png"), StandardCopyOption.ATOMIC_MOVE);
        Files.createSymbolicLink(FOLDER.resolve("b-dangling.png"), FOLDER.resolve("store/gone.png"));
        Files.createSymbolicLink(FOLDER.resolve("c-outside.png"), outside);
        drop("d-huge.png", oversized);
        drop("e-big-sidecar.png.json", ("{\"platform\": \"" + "x".repeat(70_000) + "\"}").getBytes());
        drop("e-big-sidecar.png", TestImagery.png(64, 64, 34));
        drop("f-typo.png.json", "{\"platfrom\": \"uav-1\"}".getBytes());
        drop("f-typo.png", TestImagery.png(64, 64, 35));
        drop("g-not-utf8.png.json", new byte[] {'{', '"', 'p', 'l', 'a', 't', 'f', 'o', 'r', 'm', '"', ':', '"',
                (byte) 0xC3, (byte) 0x28, '"', '}'});
        drop("g-not-utf8.png", TestImagery.png(64, 64, 36));
        Files.createSymbolicLink(FOLDER.resolve("h-linked-inside.png"), stored);
        drop("z-last.png", lastFrame);

        awaitFile(FOLDER.resolve("done/z-last.png"));
        awaitFile(FOLDER.resolve("done/h-linked-inside.png"));
        assertThat(reason("a-loop.png")).as("a link loop is unreadable").startsWith("UNREADABLE");
        assertThat(reason("b-dangling.png")).as("a link to nothing").startsWith("SYMLINK_DANGLING");
        assertThat(reason("c-outside.png")).as("a link out of the folder").startsWith("SYMLINK_OUTSIDE_FOLDER");
        assertThat(outside).as("the link's target is left alone").exists();
        assertThat(reason("d-huge.png")).as("measured before it is read").startsWith("TOO_LARGE_BYTES")
                .contains("1,000,001 bytes");
        assertThat(reason("e-big-sidecar.png")).as("sidecars are small").startsWith("INVALID_SIDECAR")
                .contains("larger than 65536 bytes");
        assertThat(reason("f-typo.png")).as("unknown sidecar fields").startsWith("INVALID_SIDECAR")
                .contains("platfrom");
        assertThat(reason("g-not-utf8.png")).as("sidecar not UTF-8").startsWith("INVALID_SIDECAR")
                .contains("UTF-8");
        assertThat(stored).as("a link inside the folder is read, its target stays").exists();
        String linkedChip = ChipIds.chipId(linkedFrame, new PixelWindow(0, 0, 96, 64));
        String lastChip = ChipIds.chipId(lastFrame, new PixelWindow(0, 0, 64, 96));
        assertThat(ChipTopic.read(List.of(linkedChip, lastChip))).as("chips of the good files")
                .containsKeys(linkedChip, lastChip);
    }

    @Test
    void scenesAreTakenFromTheScenesFolderOrBySidecar() throws Exception {
        byte[] geoTiff = TestImagery.geoTiff(TestImagery.image(300, 200, 41), 10.0, 50.0, 0.001, 0.001);
        Files.createDirectories(FOLDER.resolve("scenes"));
        Path part = FOLDER.resolve("scenes/scene-1.tif.part");
        Files.write(part, geoTiff);
        Files.move(part, FOLDER.resolve("scenes/scene-1.tif"));
        byte[] png = TestImagery.png(300, 300, 42);
        drop("scene-2.png.json", """
                {"kind": "SCENE", "platform": "sentinel-2a", "capturedAt": "2025-10-01T10:00:00Z", "chipSize": 128,
                 "overlap": 28}
                """.getBytes());
        drop("scene-2.png", png);

        awaitFile(FOLDER.resolve("scenes/done/scene-1.tif"));
        awaitFile(FOLDER.resolve("done/scene-2.png"));

        String tiffChip = ChipIds.chipId(geoTiff, new PixelWindow(0, 0, 256, 200));
        // 300 px at 128/28 (step 100): starts 0, 100 and 172 at the edge
        String pngChip = ChipIds.chipId(png, new PixelWindow(172, 172, 128, 128));
        Map<String, Chip> chips = ChipTopic.read(List.of(tiffChip, pngChip));
        assertThat(chips).as("scene chips on the topic").containsKeys(tiffChip, pngChip);
        assertThat(chips.get(tiffChip).getSource()).as("scenes default to SATELLITE").isEqualTo(Source.SATELLITE);
        assertThat(chips.get(tiffChip).getGeo()).as("GeoTIFF bounds").isNotNull();
        assertThat(chips.get(pngChip).getPlatform()).as("platform from the sidecar").isEqualTo("sentinel-2a");
    }

    private static void drop(String name, byte[] content) throws java.io.IOException {
        Path part = FOLDER.resolve(name + ".part");
        Files.write(part, content);
        Files.move(part, FOLDER.resolve(name));
    }

    private static String reason(String name) throws Exception {
        Path reason = FOLDER.resolve("failed/" + name + ".reason.txt");
        awaitFile(reason);
        return Files.readString(reason);
    }

    private static void awaitFile(Path file) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (!Files.exists(file) && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertThat(file).as("file appears within 30 s").exists();
    }

    private static Path createFolder(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
