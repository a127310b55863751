package io.pirstream.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.model.synth.SyntheticScenes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The checkpoint shipped in the jar loads, is small enough, and ranks generated scenes sensibly. */
class ShippedModelTest {

    private static byte[] jpeg(SyntheticScenes.Scene scene) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(scene.image(), "jpg", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void shippedCheckpointIsUnder40MB() throws IOException {
        Path dir = Path.of("src/main/resources" + PirModel.DEFAULT_RESOURCE);
        long bytes = Files.size(dir.resolve(Checkpoint.WEIGHTS)) + Files.size(dir.resolve(Checkpoint.MANIFEST));
        assertThat(bytes).as("shipped checkpoint size in bytes").isLessThan(40L * 1024 * 1024);
    }

    @Test
    void loadsAndRanksGeneratedScenesByDescription() {
        try (PirModel model = PirModel.loadDefault(DeviceChoice.CPU)) {
            assertThat(model.version()).as("version").startsWith("pir-");
            List<byte[]> images = new ArrayList<>();
            for (String label : SyntheticScenes.LABELS) {
                images.add(jpeg(SyntheticScenes.generate(99, 256, label)));
            }
            List<ImageEmbedding> embedded = model.embedImages(images);
            assertThat(embedded).as("one embedding per image").hasSize(images.size());
            assertThat(embedded.get(0).vector()).as("vector length").hasSize(model.dimension());
            assertThat(embedded.get(0).sceneProbabilities()).as("one probability per class").hasSize(model.sceneClasses().size());

            float[] query = model.embedTexts(List.of("many cars parked in rows on a parking lot"))[0];
            int parking = SyntheticScenes.LABELS.indexOf("parking");
            float own = dot(query, embedded.get(parking).vector());
            long better = embedded.stream().filter(e -> dot(query, e.vector()) > own).count();
            assertThat(better).as("scenes scored above the parking chip for a parking query").isLessThanOrEqualTo(1);
        }
    }

    private static float dot(float[] a, float[] b) {
        float s = 0f;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
