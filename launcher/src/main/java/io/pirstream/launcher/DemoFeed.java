package io.pirstream.launcher;

import io.pirstream.model.synth.SyntheticScenes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import javax.imageio.ImageIO;

/** Posts generated aerial scenes with known captions, so a fresh embedded default has something to search. */
final class DemoFeed {

    private DemoFeed() {
    }

    static void post(IngestClient ingest, int count) {
        System.out.println("Posting " + count + " generated aerial scenes (captions below) ...");
        for (int i = 0; i < count; i++) {
            SyntheticScenes.Scene scene = SyntheticScenes.generate(1_000 + i, 256,
                    SyntheticScenes.LABELS.get(i % SyntheticScenes.LABELS.size()));
            String captured = Instant.now().minusSeconds(60L * (count - i)).truncatedTo(ChronoUnit.SECONDS).toString();
            HttpResponse<String> response = ingest.post("/v1/frames", png(scene), "demo-" + i + ".png",
                    Map.of("platform", "demo-drone", "capturedAt", captured, "sceneLabel", scene.label()));
            System.out.printf("  %s  %s%n", response.statusCode() == 200 ? "posted" : "FAILED " + response.statusCode(),
                    scene.captions().get(0));
        }
    }

    private static byte[] png(SyntheticScenes.Scene scene) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(scene.image(), "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
