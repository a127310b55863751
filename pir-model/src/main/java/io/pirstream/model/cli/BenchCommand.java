package io.pirstream.model.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code bench}: placeholder until the benchmark lands. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "CPU/GPU throughput benchmark.")
final class BenchCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return 0;
    }
}
