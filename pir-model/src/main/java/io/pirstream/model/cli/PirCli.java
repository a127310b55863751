package io.pirstream.model.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point: {@code pir-model train|eval|bench}. */
@Command(name = "pir-model", mixinStandardHelpOptions = true, version = "pir-model 0.1",
        description = "Train, evaluate and benchmark the PIR image-text model.",
        subcommands = {TrainCommand.class, EvalCommand.class, BenchCommand.class, AblationReportCommand.class})
public final class PirCli implements Runnable {

    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        System.exit(new CommandLine(new PirCli()).execute(args));
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }
}
