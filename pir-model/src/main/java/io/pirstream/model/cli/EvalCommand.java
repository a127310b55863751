package io.pirstream.model.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code eval}: placeholder. */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Evaluate a checkpoint.")
final class EvalCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return 0;
    }
}
