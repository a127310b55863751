package io.pirstream.model.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.model.ModelConfig;
import io.pirstream.model.PirModel;
import io.pirstream.model.nn.BeliefBlock;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trains a small PIR model on generated chips (well under two minutes on 2 cores) and checks that
 * retrieval is far above chance, then that the best checkpoint loads and answers free text.
 */
class TrainingSmokeTest {

    @TempDir
    Path work;

    @Test
    void learnsToRetrieveGeneratedScenes() {
        // a MobileNetV1 at 1/4 width from random weights (the ImageNet ones are not part of the repository)
        ModelConfig model = new ModelConfig(64, "mobilenet_v1", 0.25f, null, 64, 4, 2, 1, 1, BeliefBlock.Strategy.SOFT, 4, ModelConfig.PAE,
                ModelConfig.MINILM, 24, 0.07f);
        TrainConfig config = new TrainConfig(model, null, null, 700, 100, 32, 2e-3f, 0.01f, 20, "cosine", 4, 2, 2e-3f, 32, null, null, 1f,
                true, 5L, 1f, 0, null, true);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        long start = System.nanoTime();
        PirTrainer.Result result = PirTrainer.run(config, work, false, new PrintStream(log, true, StandardCharsets.UTF_8));
        double seconds = (System.nanoTime() - start) / 1e9;

        @SuppressWarnings("unchecked")
        Map<String, Object> synth = (Map<String, Object>) result.best().metrics().get("synthetic_val");
        double t2iR10 = ((Number) synth.get("t2i_R@10")).doubleValue();
        double zeroShot = ((Number) synth.get("class_zeroShotAccuracy")).doubleValue();
        // chance: text-to-image R@10 over 100 images is 10 %; zero-shot over 7 classes is 14 %
        assertThat(t2iR10).as("text-to-image R@10 on 100 generated val chips (chance 10%%, zero-shot %.0f%%, %.0f s);"
                + " log:%n%s", zeroShot, seconds, log).isGreaterThan(30.0);
        // Zero-shot accuracy against seven one-line class descriptions is reported but not asserted: after four tiny
        // epochs it sometimes sits at chance while caption retrieval has clearly learned (seen in CI); it is measured
        // at the full budget in EVALUATION.md. Wall time is not asserted either: it measures the machine's neighbours.
        assertThat(result.best().metrics()).as("training facts recorded").containsKey("training");

        try (PirModel loaded = PirModel.load(work.resolve(PirTrainer.BEST))) {
            float[][] q = loaded.embedTexts(List.of("a zyxquorble next to the lake", "cars"));
            assertThat(q[0]).as("unseen words still embed").hasSize(64);
            double norm = 0;
            for (float x : q[0]) {
                norm += x * x;
            }
            assertThat(norm).as("unit length").isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
        }
    }
}
