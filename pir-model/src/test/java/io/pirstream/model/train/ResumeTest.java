package io.pirstream.model.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.model.Checkpoint;
import io.pirstream.model.ModelConfig;
import io.pirstream.model.nn.BeliefBlock;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An interrupted training run continues from its last epoch instead of starting over. */
class ResumeTest {

    @TempDir
    Path work;

    private static TrainConfig config(int epochs) {
        ModelConfig model = new ModelConfig(64, "mobilenet_v1", 0.125f, null, 32, 2, 2, 1, 1, BeliefBlock.Strategy.SOFT, 4,
                ModelConfig.PAE, ModelConfig.MINILM, 16, 0.07f);
        return new TrainConfig(model, null, null, 128, 32, 32, 2e-3f, 0.01f, 2, "cosine", epochs, 1, 2e-3f, 32, null, null, 1f, false,
                3L, 1f, 0, null, true);
    }

    private String train(int epochs, boolean resume) {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PirTrainer.run(config(epochs), work, resume, new PrintStream(log, true, StandardCharsets.UTF_8));
        return log.toString(StandardCharsets.UTF_8);
    }

    @Test
    void continuesFromTheLastEpochAndKeepsTheBest() throws Exception {
        String first = train(1, false);
        assertThat(first).as("first run pre-trains the instruction encoder, then trains epoch 1")
                .contains("epoch 1:").doesNotContain("resumed");
        String lastAfterOne = Checkpoint.read(work.resolve(PirTrainer.LAST)).manifest().version();

        String second = train(2, true);

        assertThat(second).as("second run log").contains("resumed from").contains("after epoch 1")
                .contains("epoch 2:").doesNotContain("epoch 1:")
                .doesNotContain("instruction encoder val accuracy"); // frozen encoder reused, not trained again
        assertThat(Files.readString(work.resolve("state.json"))).as("progress recorded").containsPattern("\"epoch\"\\s*:\\s*2");
        Checkpoint.Loaded last = Checkpoint.read(work.resolve(PirTrainer.LAST));
        assertThat(last.manifest().version()).as("epoch 2 changed the weights of epoch 1").isNotEqualTo(lastAfterOne);
        assertThat(last.manifest().metrics()).as("training facts carried over").containsKey("training");

        String third = train(2, true);
        assertThat(third).as("a finished run resumed with the same budget trains nothing more")
                .contains("after epoch 2").doesNotContain("epoch 3").doesNotContain("epoch 2:");
    }
}
