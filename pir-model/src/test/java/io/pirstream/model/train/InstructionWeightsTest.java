package io.pirstream.model.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.pirstream.model.Checkpoint;
import io.pirstream.model.ModelConfig;
import io.pirstream.model.PirModel;
import io.pirstream.model.UntrainedCheckpoints;
import io.pirstream.model.nn.InstructionEncoder;
import io.pirstream.model.nn.PirNetwork;
import io.pirstream.model.text.TextFeaturizer;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run can take its frozen instruction encoder from a checkpoint folder (the shipped model) instead of training one. */
class InstructionWeightsTest {

    @TempDir
    Path dir;

    @Test
    void takesTheCheckpointsOwnInstructionEncoder() {
        Checkpoint.Loaded checkpoint = Checkpoint.read(writeTiny());
        Checkpoint.Manifest m = checkpoint.manifest();
        try (NDManager manager = NDManager.newBaseManager(); TextFeaturizer featurizer = PirModel.textFeaturizer(m, false)) {
            PirNetwork stored = network(manager, featurizer, m.classes().size());
            Checkpoint.load(stored, checkpoint.weights());
            PirNetwork fresh = network(manager, featurizer, m.classes().size());
            InstructionEncoder instruction = fresh.imageTower().instructionEncoder();
            assertThat(differing(stored.imageTower().instructionEncoder(), instruction)).as("random before loading").isPositive();

            PirTrainer.loadInstruction(instruction, manager, dir);

            assertThat(differing(stored.imageTower().instructionEncoder(), instruction)).isZero();
        }
    }

    @Test
    void takesItIntoARunThatSharesFewerUnits() {
        Checkpoint.Loaded checkpoint = Checkpoint.read(writeTiny());
        Checkpoint.Manifest m = checkpoint.manifest();
        ModelConfig tiny = UntrainedCheckpoints.tinyConfig();
        ModelConfig fewerShared = new ModelConfig(tiny.imageSize(), tiny.backbone(), tiny.widthMultiplier(), tiny.sharedUnits() - 2,
                tiny.width(), tiny.heads(), tiny.mlpRatio(), tiny.spatialLayers(), tiny.temporalLayers(), tiny.belief(),
                tiny.hardTopK(), tiny.spatialEncoder(), tiny.textEncoder(), tiny.maxTokens(), tiny.temperature());
        try (NDManager manager = NDManager.newBaseManager(); TextFeaturizer featurizer = PirModel.textFeaturizer(m, false)) {
            PirNetwork stored = network(manager, featurizer, m.classes().size());
            Checkpoint.load(stored, checkpoint.weights());
            PirNetwork fresh = new PirNetwork(fewerShared, m.classes().size(), featurizer.vocabularySize());
            fresh.initialize(manager, DataType.FLOAT32, PirModel.inputShapes(fewerShared, featurizer));
            InstructionEncoder instruction = fresh.imageTower().instructionEncoder();
            assertThat(instruction.top().getChildren().size()).as("two more units of its own")
                    .isEqualTo(stored.imageTower().instructionEncoder().top().getChildren().size() + 2);

            PirTrainer.loadInstruction(instruction, manager, dir);

            assertThat(differing(stored.imageTower().instructionEncoder(), instruction)).as("every unit, wherever the split").isZero();
        }
    }

    @Test
    void refusesACheckpointOfAnotherShapeNamingIt() {
        Checkpoint.Manifest m = Checkpoint.read(writeTiny()).manifest();
        try (NDManager manager = NDManager.newBaseManager(); TextFeaturizer featurizer = PirModel.textFeaturizer(m, false)) {
            PirNetwork moreClasses = network(manager, featurizer, m.classes().size() + 2);
            assertThatThrownBy(() -> PirTrainer.loadInstruction(moreClasses.imageTower().instructionEncoder(), manager, dir))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(dir.toString());
        }
    }

    private Path writeTiny() {
        UntrainedCheckpoints.writeTiny(dir);
        return dir;
    }

    private static PirNetwork network(NDManager manager, TextFeaturizer featurizer, int classes) {
        PirNetwork network = new PirNetwork(UntrainedCheckpoints.tinyConfig(), classes, featurizer.vocabularySize());
        network.initialize(manager, DataType.FLOAT32, PirModel.inputShapes(UntrainedCheckpoints.tinyConfig(), featurizer));
        return network;
    }

    /** How many parameters of {@code b} differ from those of {@code a} (same structure). */
    private static long differing(InstructionEncoder a, InstructionEncoder b) {
        var left = a.getParameters();
        var right = b.getParameters();
        long count = 0;
        for (int i = 0; i < left.size(); i++) {
            Pair<String, Parameter> p = left.get(i);
            if (!Arrays.equals(p.getValue().getArray().toFloatArray(), right.get(i).getValue().getArray().toFloatArray())) {
                count++;
            }
        }
        return count;
    }
}
