package io.pirstream.model.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pirstream.model.Checkpoint;
import io.pirstream.model.UntrainedCheckpoints;
import io.pirstream.model.synth.SyntheticScenes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A fine-tune round on the tiny untrained checkpoint: what it writes, what it records, how it aborts. */
class FeedbackFineTunerTest {

    @TempDir
    Path dir;

    static final FineTuneConfig FAST = new FineTuneConfig(4, 8, 4, 2, null, 1e-3f, 0f, null, null, 16, null, null, 20, 20, null, null,
            5L);

    @Test
    void writesAVerifiedCandidateWithItsParentAndBothSidesMetrics() {
        Checkpoint.Loaded parent = Checkpoint.read(tiny());
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        FeedbackFineTuner.Result result = FeedbackFineTuner.run(parent, judgements(12), FAST, Map.of("feedbackRecords", 12),
                dir.resolve("candidate"), new PrintStream(log, true, StandardCharsets.UTF_8), FeedbackFineTuner.StepListener.NONE);

        Checkpoint.Loaded candidate = Checkpoint.read(dir.resolve("candidate"));
        assertThat(candidate.manifest().version()).as("a new content hash").isNotEqualTo(parent.manifest().version())
                .isEqualTo(result.candidate().version());
        @SuppressWarnings("unchecked")
        Map<String, Object> fineTune = (Map<String, Object>) candidate.manifest().metrics().get("fineTune");
        assertThat(fineTune).as("the parent and the given facts are recorded").containsEntry("parentVersion", parent.manifest().version())
                .containsEntry("feedbackRecords", 12);
        assertThat(result.parentMetrics()).as("both sides are measured on the same keys").containsKeys("synthetic.mR", "feedback.train.R@10")
                .containsOnlyKeys(result.candidateMetrics().keySet());
        assertThat(result.trainedPairs() + result.trainedNegatives() + result.heldOut()).as("every judgement is used once").isEqualTo(12);
        assertThat(log.toString(StandardCharsets.UTF_8)).as("progress with an ETA").contains("ETA");
    }

    @Test
    void anAbortedRoundWritesNothing() {
        Checkpoint.Loaded parent = Checkpoint.read(tiny());
        AtomicInteger steps = new AtomicInteger();
        assertThatThrownBy(() -> FeedbackFineTuner.run(parent, judgements(8), FAST, Map.of(), dir.resolve("candidate"),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), (done, total, loss) -> {
                    if (steps.incrementAndGet() == 2) {
                        throw new IllegalStateException("simulated crash");
                    }
                })).hasMessageContaining("simulated crash");
        assertThat(dir.resolve("candidate")).as("no checkpoint after an aborted round").doesNotExist();
    }

    @Test
    void undecodableImagesAreSkippedNotFatal() {
        Checkpoint.Loaded parent = Checkpoint.read(tiny());
        List<FeedbackFineTuner.Judgement> judgements = new ArrayList<>(judgements(8));
        judgements.add(new FeedbackFineTuner.Judgement("a lake", "broken", new byte[] {1, 2, 3}, true));
        FeedbackFineTuner.Result result = FeedbackFineTuner.run(parent, judgements, FAST, Map.of(), dir.resolve("candidate"),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), FeedbackFineTuner.StepListener.NONE);
        assertThat(result.skipped()).as("the broken image is skipped").isEqualTo(1);
    }

    @Test
    void theHeldOutSliceIsDeterministicAndRoughlyItsShare() {
        int held = 0;
        for (int i = 0; i < 2000; i++) {
            boolean first = FeedbackFineTuner.heldOut("Query " + i, "chip-" + i, 20);
            assertThat(FeedbackFineTuner.heldOut("  query   " + i + " ", "chip-" + i, 20)).as("normalised query, same slice").isEqualTo(first);
            held += first ? 1 : 0;
        }
        assertThat(held).as("about 20 %% of 2000").isBetween(300, 500);
    }

    private Path tiny() {
        Path tiny = dir.resolve("tiny");
        UntrainedCheckpoints.writeTiny(tiny);
        return tiny;
    }

    /** Judgements on generated scenes: a caption of the scene is relevant, every third one judged not relevant. */
    static List<FeedbackFineTuner.Judgement> judgements(int count) {
        List<FeedbackFineTuner.Judgement> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            SyntheticScenes.Scene scene = SyntheticScenes.generate(500 + i, 64);
            out.add(new FeedbackFineTuner.Judgement(scene.captions().get(0), "chip-" + i, png(scene), i % 3 != 0));
        }
        return out;
    }

    static byte[] png(SyntheticScenes.Scene scene) {
        try {
            var bytes = new java.io.ByteArrayOutputStream();
            ImageIO.write(scene.image(), "png", bytes);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
