package io.pirstream.model.cli;

import io.pirstream.model.train.PirTrainer;
import io.pirstream.model.train.TrainConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code train}: trains from a JSON config, checkpointing every epoch. */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Train a PIR model from a JSON config.")
final class TrainCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, description = "JSON training config (see pir-model/configs/)")
    Path config;

    @Option(names = "--work", required = true, description = "Folder for checkpoints: <work>/last, <work>/best, state.json")
    Path work;

    @Option(names = "--resume", description = "Continue from <work>/last if present")
    boolean resume;

    @Option(names = "--instruction-weights",
            description = "Reuse a frozen instruction encoder instead of pre-training it: an earlier run's <work>/instruction.params,"
                    + " or a checkpoint folder (its instruction encoder)")
    Path instructionWeights;

    @Option(names = "--seed", description = "Override the config's seed (ablation rows run several)")
    Long seed;

    @Override
    public Integer call() {
        TrainConfig c = TrainConfig.read(config);
        if (seed != null) {
            c = c.withSeed(seed);
        }
        if (instructionWeights != null) {
            c = c.withInstructionWeights(instructionWeights.toAbsolutePath().toString());
        }
        PirTrainer.Result result = PirTrainer.run(c, work, resume, System.out);
        System.out.printf("best checkpoint %s (score %.2f) in %s after %.0f s%n", result.best().version(), result.bestScore(),
                work.resolve(PirTrainer.BEST), result.seconds());
        return 0;
    }
}
