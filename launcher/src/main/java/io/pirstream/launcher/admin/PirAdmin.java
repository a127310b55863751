package io.pirstream.launcher.admin;

import io.pirstream.schemas.KafkaClientSecurity;
import io.pirstream.schemas.ModelReleases;
import io.pirstream.schemas.TopicAccess;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.ModelRelease;
import io.pirstream.schemas.avro.ReleaseStatus;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pir-admin}: the operators' view of model releases on {@code pir.models}, and the transitions they make.
 * Every transition is a record on the topic (one transaction); the embedders and query replicas follow it.
 */
@Command(name = "pir-admin", mixinStandardHelpOptions = true, version = "PIRStream 0.1.0",
        description = "Model releases: list, promote, roll back, retire, replay; reindex progress.",
        subcommands = {PirAdmin.Releases.class, PirAdmin.Promote.class, PirAdmin.Rollback.class, PirAdmin.Retire.class,
            PirAdmin.Replay.class, PirAdmin.Progress.class})
public final class PirAdmin implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line with its error handling: a refused transition or an unreachable Kafka is one clear line. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new PirAdmin());
        cli.setExecutionExceptionHandler((e, commandLine, parsed) -> {
            String message = e instanceof ModelReleases.Refused ? e.getMessage()
                    : e instanceof KafkaException || e instanceof ExecutionException
                            ? "Kafka: " + e.getMessage() + " (is --bootstrap-servers right, and the broker up?)"
                            : e.toString();
            commandLine.getErr().println("pir-admin: " + message);
            return e instanceof ModelReleases.Refused ? 2 : 1;
        });
        return cli;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    /** Where Kafka is and how to reach it. */
    static final class Connection {
        @Option(names = "--bootstrap-servers", defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS:-localhost:9092}",
                description = "Kafka brokers (env KAFKA_BOOTSTRAP_SERVERS; default: ${DEFAULT-VALUE}).")
        String bootstrapServers;

        @Option(names = "--kafka-client-properties", defaultValue = "${env:" + KafkaClientSecurity.FILE_VARIABLE + "}",
                description = "Kafka client properties (security.protocol, sasl.*, ssl.*); PIRSTREAM_KAFKA_* variables too.")
        Path clientProperties;

        @Option(names = "--embed-application-id", defaultValue = TopicAccess.EMBED_APPLICATION_ID,
                description = "The embedders' application id prefix (default: ${DEFAULT-VALUE}).")
        String embedPrefix;

        Map<String, Object> config() {
            return KafkaClientSecurity.load(clientProperties, Map.of(), System.getenv())
                    .apply(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
        }

        ModelReleases.Snapshot releases() {
            return ModelReleases.read(config(), Duration.ofSeconds(30));
        }

        void publish(List<ModelRelease> records) {
            ModelReleases.publish(config(), TopicAccess.RELEASES_TRANSACTIONAL_ID_PREFIX + "admin-", records);
        }

        Admin admin() {
            return Admin.create(config());
        }
    }

    @Command(name = "releases", mixinStandardHelpOptions = true, description = "Every release, newest first, with its metrics.")
    static final class Releases implements Callable<Integer> {
        @Mixin
        Connection kafka;
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            List<ModelRelease> all = kafka.releases().all();
            if (all.isEmpty()) {
                out.println("No releases on " + Topics.MODELS.name() + ": every service runs the model it was configured with"
                        + " (the shipped one by default). The fine-tune job records it as the first release.");
                return 0;
            }
            out.printf(Locale.ROOT, "%-22s %-9s %-22s %-20s %s%n", "VERSION", "STATUS", "PARENT", "CREATED", "METRICS / NOTE");
            for (ModelRelease r : all) {
                String note = r.getStatus() == ReleaseStatus.REFUSED ? "refused: " + r.getRefusal() : metrics(r);
                if (r.getReplaces() != null && r.getStatus() == ReleaseStatus.ACTIVE) {
                    note += " (replaced " + r.getReplaces() + ")";
                }
                if (r.getReplayGeneration() > 0) {
                    note += " (replay " + r.getReplayGeneration() + (r.getReplayFrom() == null ? " from the beginning"
                            : " from " + r.getReplayFrom()) + ")";
                }
                out.printf(Locale.ROOT, "%-22s %-9s %-22s %-20s %s%n", r.getVersion(), r.getStatus(),
                        r.getParentVersion() == null ? "-" : r.getParentVersion(),
                        r.getCreatedAt().toString().substring(0, 19), note);
            }
            return 0;
        }

        private static String metrics(ModelRelease r) {
            StringBuilder b = new StringBuilder();
            new java.util.TreeMap<>(r.getValidationMetrics()).forEach((k, v) ->
                    b.append(b.length() == 0 ? "" : ", ").append(k).append(' ').append(String.format(Locale.ROOT, "%.2f", v)));
            return b.length() == 0 ? "-" : b.toString();
        }
    }

    @Command(name = "promote", mixinStandardHelpOptions = true,
            description = "Make a release ACTIVE: its embedder replays pir.chips into its own topic, each query replica"
                    + " builds its index and flips to it once caught up; the current active stays as SHADOW for rollback.")
    static final class Promote implements Callable<Integer> {
        @Mixin
        Connection kafka;
        @Parameters(paramLabel = "VERSION")
        String version;
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            kafka.publish(ModelReleases.promote(kafka.releases(), version, Instant.now()));
            spec.commandLine().getOut().println("Promoted " + version + ". Follow the reindex with: pir-admin progress --watch");
            return 0;
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true,
            description = "Return to the release the active one replaced (still SHADOW, so its index is current).")
    static final class Rollback implements Callable<Integer> {
        @Mixin
        Connection kafka;
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            List<ModelRelease> records = ModelReleases.rollback(kafka.releases(), Instant.now());
            kafka.publish(records);
            spec.commandLine().getOut().println("Rolled back to " + records.get(records.size() - 1).getVersion());
            return 0;
        }
    }

    @Command(name = "retire", mixinStandardHelpOptions = true,
            description = "Stop a release that is not active: its embedder stops, query replicas drop its index, and its"
                    + " embedding topic is deleted.")
    static final class Retire implements Callable<Integer> {
        @Mixin
        Connection kafka;
        @Parameters(paramLabel = "VERSION")
        String version;
        @Option(names = "--yes", description = "Do not ask for confirmation.")
        boolean yes;
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            List<ModelRelease> records = ModelReleases.retire(kafka.releases(), version, Instant.now());
            String topic = Topics.embeddings(version).name();
            if (!yes) {
                out.print("Retiring " + version + " deletes " + topic + " and every index of it. Type the version to confirm: ");
                out.flush();
                String answer = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                if (!version.equals(answer == null ? null : answer.strip())) {
                    out.println("Not confirmed; nothing changed.");
                    return 3;
                }
            }
            kafka.publish(records);
            try (Admin admin = kafka.admin()) {
                admin.deleteTopics(List.of(topic)).all().get();
                out.println("Retired " + version + "; deleted " + topic);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
                out.println("Retired " + version + " (" + topic + " did not exist)");
            }
            return 0;
        }
    }

    @Command(name = "replay", mixinStandardHelpOptions = true,
            description = "Re-embed pir.chips for a live release, from the beginning or from a time, into a fresh"
                    + " index (for example after a corrupted local copy or an embedder bug).")
    static final class Replay implements Callable<Integer> {
        @Mixin
        Connection kafka;
        @Parameters(paramLabel = "VERSION")
        String version;
        @Option(names = "--from", description = "ISO-8601 ingest time to start from, e.g. 2026-11-30T00:00:00Z (default: the beginning).")
        String from;
        @Option(names = "--force", description = "Start a new replay even if the previous one has not finished.")
        boolean force;
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Instant start;
            try {
                start = from == null ? null : Instant.parse(from);
            } catch (DateTimeParseException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--from must be an ISO-8601 instant such as"
                        + " 2026-11-30T00:00:00Z; got '" + from + "'");
            }
            ModelReleases.Snapshot releases = kafka.releases();
            ModelRelease release = releases.get(version).orElse(null);
            if (release != null && release.getReplayGeneration() > 0 && !force) {
                try (Admin admin = kafka.admin()) {
                    Lag lag = Lag.of(admin, ModelReleases.applicationId(kafka.embedPrefix, release));
                    if (lag.remaining() > 0 || !lag.started()) {
                        throw new ModelReleases.Refused("replay " + release.getReplayGeneration() + " of " + version
                                + " is still running (" + lag.describe() + "); wait for it, or pass --force");
                    }
                }
            }
            kafka.publish(ModelReleases.replay(releases, version, start, Instant.now()));
            spec.commandLine().getOut().println("Replaying " + version + (start == null ? " from the beginning" : " from " + start)
                    + ". Follow it with: pir-admin progress --watch");
            return 0;
        }
    }

    @Command(name = "progress", mixinStandardHelpOptions = true,
            description = "Each live release's embedder: chips embedded of pir.chips, consumer lag, and an ETA.")
    static final class Progress implements Callable<Integer> {
        @Mixin
        Connection kafka;
        @Option(names = "--watch", description = "Refresh every --interval until every embedder has caught up.")
        boolean watch;
        @Option(names = "--interval", defaultValue = "PT2S", description = "Refresh interval, ISO-8601 (default: ${DEFAULT-VALUE}).")
        Duration interval;
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            Map<String, Lag> previous = new java.util.HashMap<>();
            Instant previousAt = null;
            try (Admin admin = kafka.admin()) {
                while (true) {
                    List<ModelRelease> live = kafka.releases().live();
                    if (live.isEmpty()) {
                        out.println("No live release: the services run their configured model.");
                        return 0;
                    }
                    Instant now = Instant.now();
                    boolean allCaughtUp = true;
                    for (ModelRelease release : live) {
                        String group = ModelReleases.applicationId(kafka.embedPrefix, release);
                        Lag lag = Lag.of(admin, group);
                        allCaughtUp &= lag.started() && lag.remaining() == 0;
                        String eta = "";
                        Lag before = previous.get(group);
                        if (before != null && previousAt != null && lag.remaining() > 0) {
                            double rate = (lag.done() - before.done()) / Math.max(1e-3, Duration.between(previousAt, now).toMillis() / 1000.0);
                            eta = rate > 0 ? String.format(Locale.ROOT, ", %.1f chips/s, ETA %s", rate,
                                    Duration.ofSeconds((long) Math.ceil(lag.remaining() / rate))) : ", stalled";
                        }
                        out.printf(Locale.ROOT, "%-22s %-7s %s %s%s%n", release.getVersion(), release.getStatus(),
                                bar(lag), lag.describe(), eta);
                        previous.put(group, lag);
                    }
                    previousAt = now;
                    out.flush();
                    if (!watch || allCaughtUp) {
                        return 0;
                    }
                    Thread.sleep(interval.toMillis());
                }
            }
        }

        private static String bar(Lag lag) {
            int width = 30;
            int filled = lag.total() == 0 ? width : (int) Math.round(width * (double) lag.done() / lag.total());
            return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "]";
        }
    }

    /**
     * An embedder group's progress through {@code pir.chips}: committed offsets against end offsets. Offsets also
     * count transaction markers (and aborted uploads), so "remaining" is approximate while chips arrive.
     */
    record Lag(long done, long total, boolean started) {
        long remaining() {
            return Math.max(0, total - done);
        }

        String describe() {
            if (!started) {
                return "not started (no committed offsets yet)";
            }
            return String.format(Locale.ROOT, "%d of %d offsets, lag %d", done, total, remaining());
        }

        static Lag of(Admin admin, String group) throws Exception {
            String topic = Topics.CHIPS.name();
            List<TopicPartition> partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic)
                    .partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
            partitions.forEach(p -> latest.put(p, OffsetSpec.latest()));
            var end = admin.listOffsets(latest).all().get();
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get();
            long total = 0;
            long done = 0;
            for (TopicPartition p : partitions) {
                long last = end.get(p).offset();
                total += last;
                OffsetAndMetadata c = committed.get(p);
                long position = c == null ? 0 : Math.min(last, c.offset());
                // chips are written in transactions: one offset left is the commit marker, not a chip
                done += last - position == 1 ? last : position;
            }
            // a partition without chips needs no commit: count it as done
            boolean started = !committed.isEmpty() || total == 0;
            return new Lag(done, total, started);
        }
    }
}
