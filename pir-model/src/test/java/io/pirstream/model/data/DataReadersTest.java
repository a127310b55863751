package io.pirstream.model.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Caption JSON and labelled-CSV readers: happy paths and their errors. */
class DataReadersTest {

    @TempDir
    Path dir;

    private void image(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        ImageIO.write(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB), "png", file.toFile());
    }

    private void json(String body) throws IOException {
        Files.writeString(dir.resolve("dataset.json"), body);
    }

    @Test
    void readsKarpathyCaptionsOfOneSplit() throws IOException {
        image(dir.resolve("images/a.png"));
        image(dir.resolve("images/b.png"));
        json("""
                {"images": [
                  {"filename": "a.png", "split": "train", "label": "forest", "sentences": [{"raw": "many trees"}, {"raw": " a forest "}]},
                  {"filename": "b.png", "split": "val", "sentences": [{"raw": "a lake"}]}
                ]}""");
        List<Sample> train = KarpathyCaptions.read(dir, Split.TRAIN);
        assertThat(train).as("one train image").hasSize(1);
        assertThat(train.get(0).captions()).as("trimmed captions").containsExactly("many trees", "a forest");
        assertThat(train.get(0).label()).as("label").isEqualTo("forest");
        assertThat(KarpathyCaptions.read(dir, Split.VAL).get(0).label()).as("missing label is null").isNull();
    }

    @Test
    void unknownSplitIsAnError() throws IOException {
        image(dir.resolve("images/a.png"));
        json("{\"images\": [{\"filename\": \"a.png\", \"split\": \"dev\", \"sentences\": []}]}");
        assertThatThrownBy(() -> KarpathyCaptions.read(dir, Split.TRAIN)).as("unknown split")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown split 'dev'");
        assertThatThrownBy(() -> Split.parse("holdout")).as("unknown split name").hasMessageContaining("holdout");
    }

    @Test
    void missingFilesAreErrors() throws IOException {
        assertThatThrownBy(() -> KarpathyCaptions.read(dir, Split.TRAIN)).as("no json").hasMessageContaining("caption file not found");
        json("{\"images\": [{\"filename\": \"gone.png\", \"split\": \"train\", \"sentences\": []}]}");
        Files.createDirectories(dir.resolve("images"));
        assertThatThrownBy(() -> KarpathyCaptions.read(dir, Split.TRAIN)).as("missing image").hasMessageContaining("does not exist");
        assertThatThrownBy(() -> LabelledFolders.read(dir, Split.TRAIN)).as("no csv").hasMessageContaining("label file not found");
    }

    @Test
    void readsLabelledFolders() throws IOException {
        image(dir.resolve("images/field/x.png"));
        image(dir.resolve("images/forest/y.png"));
        Files.writeString(dir.resolve("labels.csv"), "file,label,split\nfield/x.png,field,train\nforest/y.png,forest,val\n");
        List<Sample> val = LabelledFolders.read(dir, Split.VAL);
        assertThat(val).as("one val image").hasSize(1);
        assertThat(val.get(0).label()).as("label").isEqualTo("forest");
        assertThat(val.get(0).captioned()).as("label-only").isFalse();
        Files.writeString(dir.resolve("labels.csv"), "path;class\n");
        assertThatThrownBy(() -> LabelledFolders.read(dir, Split.VAL)).as("bad header").hasMessageContaining("expected header");
    }

    @Test
    void unreadableImageIsAClearError() throws IOException {
        Path bad = dir.resolve("bad.jpg");
        Files.writeString(bad, "not an image");
        assertThatThrownBy(() -> ImageCodec.read(bad)).as("unreadable").isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unreadable image").hasMessageContaining("bad.jpg");
    }

    @Test
    void anImageClaimingHugeDimensionsIsRefusedFromItsHeader() throws IOException {
        java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB), "png", png);
        byte[] bomb = png.toByteArray();
        java.nio.ByteBuffer.wrap(bomb).putInt(16, 100_000).putInt(20, 100_000); // IHDR width and height
        assertThatThrownBy(() -> ImageCodec.decode(bomb)).as("a 10-gigapixel claim")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SIDE_TOO_LONG")
                .hasMessageContaining("100,000 x 100,000 px");
    }

    @Test
    void everyClassHasSeveralParaphrases() {
        for (String c : ClassDescriptions.classes()) {
            assertThat(ClassDescriptions.of(c).orElseThrow()).as("paraphrases of %s", c).hasSizeGreaterThanOrEqualTo(3);
        }
    }

    @Test
    void readsTheSharedDatasetsWhenPresent() {
        Path root = Path.of(System.getProperty("pirstream.datasets", "../../shared/datasets"));
        assumeTrue(Files.isDirectory(root.resolve("rsicd")) && Files.isDirectory(root.resolve("rsscn7")),
                "shared datasets not found at " + root.toAbsolutePath() + "; skipping the real-data reader check");
        assertThat(KarpathyCaptions.read(root.resolve("rsicd"), Split.TRAIN)).as("rsicd official train images").hasSize(8734);
        assertThat(KarpathyCaptions.read(root.resolve("rsicd"), Split.VAL)).as("rsicd official val images").hasSize(1094);
        assertThat(LabelledFolders.read(root.resolve("rsscn7"), Split.VAL)).as("rsscn7 val images").hasSize(350);
        assertThat(LabelledFolders.read(root.resolve("rsscn7"), Split.TRAIN)).as("rsscn7 has no train split here").isEmpty();
        for (String label : List.of("field", "forest", "grass", "industry", "parking", "residential", "river_lake")) {
            assertThat(ClassDescriptions.of(label)).as("description of rsscn7 class %s", label).isPresent();
        }
    }
}
