package io.pirstream.finetune;

import io.pirstream.model.train.FineTuneConfig;
import io.pirstream.schemas.KafkaClientSecurity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.CommonClientConfigs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The fine-tune job's command line: one {@link FineTuneRound}, then exit. Exit code 0 for a candidate or nothing to
 * do, 3 for a refused candidate (so a scheduler can alert), 1 for an error.
 */
@Command(name = "pirstream-finetune", mixinStandardHelpOptions = true,
        description = "Fine-tunes the ACTIVE model on pir.feedback and publishes a CANDIDATE (or REFUSED) release to pir.models.")
public final class FineTuneJob implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(FineTuneJob.class);

    /** Exit code of a refused candidate. */
    public static final int REFUSED_EXIT = 3;

    @Option(names = "--bootstrap-servers", defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS:-localhost:9092}",
            description = "Kafka brokers (env KAFKA_BOOTSTRAP_SERVERS; default: ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = "--kafka-client-properties", defaultValue = "${env:" + KafkaClientSecurity.FILE_VARIABLE + "}",
            description = "Kafka client properties file with security.protocol, sasl.* and ssl.* settings (env "
                    + KafkaClientSecurity.FILE_VARIABLE + "); single settings also as PIRSTREAM_KAFKA_* environment variables.")
    Path kafkaClientProperties;

    @Option(names = "--store", defaultValue = "${env:PIRSTREAM_MODEL_STORE:-.pirstream/models}",
            description = "Folder of stored checkpoints, <store>/<version>/ (env PIRSTREAM_MODEL_STORE; default: ${DEFAULT-VALUE}).")
    Path store;

    @Option(names = "--base-checkpoint", defaultValue = "${env:PIRSTREAM_CHECKPOINT}",
            description = "Checkpoint the services run while no release is ACTIVE (env PIRSTREAM_CHECKPOINT; default: the shipped model).")
    Path baseCheckpoint;

    @Option(names = "--config", description = "Fine-tune config JSON (fields of FineTuneConfig; missing ones take defaults).")
    Path config;

    @Option(names = "--steps", description = "Optimiser steps (default " + FineTuneConfig.DEFAULT_STEPS + ").")
    Integer steps;

    @Option(names = "--tolerance", description = "Largest drop of any validation metric, in points (default "
            + FineTuneConfig.DEFAULT_TOLERANCE_POINTS + ").")
    Double tolerance;

    @Option(names = "--rsicd", defaultValue = "${env:PIRSTREAM_RSICD}",
            description = "RSICD folder (dataset.json + images/): train split replayed, val split gated on (default: none).")
    String rsicd;

    @Option(names = "--min-new-feedback", defaultValue = "1",
            description = "Do nothing unless this many feedback records arrived since the last fine-tune (default: ${DEFAULT-VALUE}).")
    int minNewFeedback;

    @Option(names = "--report", description = "JSON progress file, rewritten as the job goes (phase, step, ETA, outcome).")
    Path report;

    @Option(names = "--replication-factor", defaultValue = "${env:PIRSTREAM_KAFKA_REPLICATION_FACTOR:-0}",
            description = "Replication factor of topics created when missing; 0: min(3, brokers) (default: ${DEFAULT-VALUE}).")
    short replicationFactor;

    @Option(names = "--timeout", defaultValue = "PT60S", converter = DurationConverter.class,
            description = "Bound on each Kafka read, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    /** Parses ISO-8601 durations. */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return Duration.parse(value);
        }
    }

    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        System.exit(new CommandLine(new FineTuneJob()).execute(args));
    }

    @Override
    public Integer call() {
        KafkaClientSecurity security = KafkaClientSecurity.load(kafkaClientProperties, Map.of(), System.getenv());
        FineTuneConfig c = config == null ? FineTuneConfig.defaults() : readConfig(config);
        if (steps != null) {
            c = c.withSteps(steps);
        }
        if (tolerance != null) {
            c = c.withTolerance(tolerance);
        }
        if (rsicd != null && !rsicd.isBlank()) {
            c = c.withRsicd(rsicd);
        }
        FineTuneRound.Settings settings = FineTuneRound.Settings.of(
                        security.apply(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers)), store)
                .withBaseCheckpoint(baseCheckpoint).withConfig(c).withMinNewFeedback(minNewFeedback).withReport(report)
                .withReplicationFactor(replicationFactor).withTimeout(timeout);
        FineTuneRound.Outcome outcome;
        try {
            outcome = FineTuneRound.run(settings);
        } catch (RuntimeException e) {
            // nothing was published (the release is written last): say why in one line, the trace is in the log
            LOG.error("Fine-tune round failed", e);
            System.err.println("fine-tune failed, nothing published: " + e.getMessage());
            return 1;
        }
        System.out.println(outcome.message());
        return outcome.status() == FineTuneRound.Status.REFUSED ? REFUSED_EXIT : 0;
    }

    private static FineTuneConfig readConfig(Path file) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readValue(file.toFile(), FineTuneConfig.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the fine-tune config " + file + ": " + e.getMessage(), e);
        }
    }
}
