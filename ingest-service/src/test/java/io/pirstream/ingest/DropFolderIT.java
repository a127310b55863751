package io.pirstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.ingest.imagery.ChipIds;
import io.pirstream.ingest.imagery.PixelWindow;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.testkit.imagery.TestImagery;
import io.pirstream.testkit.quarkus.EmbeddedKafkaResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Frames dropped into the watched folder are ingested once and moved to done/ or failed/. */
@QuarkusTest
@QuarkusTestResource(EmbeddedKafkaResource.class)
@TestProfile(DropFolderIT.WithDropFolder.class)
class DropFolderIT {

    static final Path FOLDER = createFolder();

    /** Enables the watcher on a fresh temporary folder. */
    public static class WithDropFolder implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("pirstream.ingest.drop-folder.path", FOLDER.toString(),
                    "pirstream.ingest.drop-folder.settle-time", "0s",
                    "pirstream.ingest.drop-folder.poll-interval", "0.2s");
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

    private static void awaitFile(Path file) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (!Files.exists(file) && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertThat(file).as("file appears within 30 s").exists();
    }

    private static Path createFolder() {
        try {
            return Files.createTempDirectory("pirstream-drop-");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
