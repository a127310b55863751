package io.pirstream.finetune;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.pirstream.model.Checkpoint;
import io.pirstream.model.CheckpointStore;
import io.pirstream.model.train.FeedbackFineTuner;
import io.pirstream.model.train.FineTuneConfig;
import io.pirstream.schemas.ModelReleases;
import io.pirstream.schemas.TopicAccess;
import io.pirstream.schemas.TopicAdmin;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.Feedback;
import io.pirstream.schemas.avro.ModelRelease;
import io.pirstream.schemas.avro.ReleaseStatus;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * One run of the fine-tune job against a cluster. Its steps, each safe to crash in:
 *
 * <ol>
 *   <li>read {@code pir.models}; count the feedback records that arrived since the newest release this job made (it
 *       records {@value #FEEDBACK_CONSUMED}, the sum of {@code pir.feedback}'s end offsets it read to); stop when fewer
 *       than {@code minNewFeedback};
 *   <li>resolve the feedback ({@link FeedbackResolver}), fetch the chips it names from {@code pir.chips};
 *   <li>the parent: the ACTIVE release; with none, the configured base checkpoint (the shipped one by default), which
 *       is first recorded as the ACTIVE genesis release, as every service would;
 *   <li>fine-tune into a work folder under the store, store the result atomically ({@link CheckpointStore});
 *   <li>last, publish the CANDIDATE or REFUSED release in one transaction.
 * </ol>
 *
 * A crash before step 5 leaves no release, at most a stored checkpoint that nothing names; a rerun trains the same
 * round again. A version already on the topic is never overwritten.
 */
public final class FineTuneRound {

    /** Release metric: sum of {@code pir.feedback}'s end offsets the round read to (how much feedback it saw). */
    public static final String FEEDBACK_CONSUMED = "feedback.consumed";
    /** Prefix of the parent's figures in a release's metrics, beside the candidate's own. */
    public static final String PARENT_PREFIX = "parent.";
    /** Default folder of stored checkpoints. */
    public static final Path DEFAULT_STORE = Path.of(".pirstream", "models");

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * How to run.
     *
     * @param clientConfig bootstrap servers and security settings of every Kafka client
     * @param store where checkpoints are stored
     * @param baseCheckpoint the checkpoint folder services run while no release is ACTIVE; null: the shipped model
     * @param config the training round and the gate
     * @param minNewFeedback feedback records since the last release below which the round does nothing
     * @param replicationFactor of the topics it creates when missing; 0: min(3, brokers)
     * @param timeout bound on each Kafka read
     * @param report JSON progress file rewritten as the round goes, or null
     * @param log progress lines
     * @param listener called after every training step (tests abort through it)
     */
    public record Settings(Map<String, Object> clientConfig, Path store, Path baseCheckpoint, FineTuneConfig config, int minNewFeedback,
            short replicationFactor, Duration timeout, Path report, PrintStream log, FeedbackFineTuner.StepListener listener) {
        public Settings {
            Objects.requireNonNull(clientConfig, "clientConfig must not be null");
            Objects.requireNonNull(store, "store must not be null");
            Objects.requireNonNull(config, "config must not be null");
            Objects.requireNonNull(timeout, "timeout must not be null");
            clientConfig = Map.copyOf(clientConfig);
            log = log == null ? System.out : log;
            listener = listener == null ? FeedbackFineTuner.StepListener.NONE : listener;
            if (minNewFeedback < 1) {
                throw new IllegalArgumentException("minNewFeedback must be >= 1: " + minNewFeedback);
            }
        }

        /** Defaults: shipped base model, default config, any new feedback, 60 s timeouts, no report, stdout. */
        public static Settings of(Map<String, Object> clientConfig, Path store) {
            return new Settings(clientConfig, store, null, FineTuneConfig.defaults(), 1, TopicAdmin.AUTO_REPLICATION, Duration.ofSeconds(60),
                    null, null, null);
        }

        public Settings withBaseCheckpoint(Path dir) {
            return new Settings(clientConfig, store, dir, config, minNewFeedback, replicationFactor, timeout, report, log, listener);
        }

        public Settings withConfig(FineTuneConfig c) {
            return new Settings(clientConfig, store, baseCheckpoint, c, minNewFeedback, replicationFactor, timeout, report, log, listener);
        }

        public Settings withMinNewFeedback(int n) {
            return new Settings(clientConfig, store, baseCheckpoint, config, n, replicationFactor, timeout, report, log, listener);
        }

        public Settings withReport(Path file) {
            return new Settings(clientConfig, store, baseCheckpoint, config, minNewFeedback, replicationFactor, timeout, file, log, listener);
        }

        public Settings withLog(PrintStream out) {
            return new Settings(clientConfig, store, baseCheckpoint, config, minNewFeedback, replicationFactor, timeout, report, out, listener);
        }

        public Settings withListener(FeedbackFineTuner.StepListener l) {
            return new Settings(clientConfig, store, baseCheckpoint, config, minNewFeedback, replicationFactor, timeout, report, log, l);
        }

        public Settings withTimeout(Duration t) {
            return new Settings(clientConfig, store, baseCheckpoint, config, minNewFeedback, replicationFactor, t, report, log, listener);
        }

        public Settings withReplicationFactor(short factor) {
            return new Settings(clientConfig, store, baseCheckpoint, config, minNewFeedback, factor, timeout, report, log, listener);
        }
    }

    /** What a run did. */
    public enum Status {
        /** Too little new feedback (or none usable): nothing trained, nothing written. */
        NOTHING_TO_DO,
        /** A candidate passed the gate and was published. */
        CANDIDATE,
        /** A candidate failed the gate; the refusal was published. */
        REFUSED,
        /** The round produced a version that is already on the topic (a rerun of a published round). */
        ALREADY_RELEASED
    }

    /**
     * @param status what happened
     * @param release the release published (or found), null for {@link Status#NOTHING_TO_DO}
     * @param message one line for logs and the CLI
     */
    public record Outcome(Status status, ModelRelease release, String message) {
    }

    private FineTuneRound() {
    }

    /** Runs one round. */
    public static Outcome run(Settings s) {
        Report report = new Report(s.report());
        ensureTopics(s);
        ModelReleases.Snapshot releases = ModelReleases.read(s.clientConfig(), s.timeout());

        // 1. how much is new
        report.phase("reading feedback");
        List<Feedback> feedback = new ArrayList<>();
        Map<Integer, Long> feedbackEnd = TopicScan.readToEnd(s.clientConfig(), Topics.FEEDBACK.name(), s.timeout(), record -> {
            if (record.value() == null) {
                return;
            }
            try {
                feedback.add(Topics.FEEDBACK.valueSerde().deserializer().deserialize(record.topic(), record.value()));
            } catch (RuntimeException e) {
                s.log().printf("skipping %s-%d@%d: not a Feedback record (%s)%n", record.topic(), record.partition(), record.offset(),
                        e.getMessage());
            }
        });
        long consumed = feedbackEnd.values().stream().mapToLong(Long::longValue).sum();
        long previously = lastConsumed(releases);
        long fresh = consumed - previously;
        if (fresh < s.minNewFeedback()) {
            return report.done(new Outcome(Status.NOTHING_TO_DO, null, String.format(Locale.ROOT,
                    "%d new feedback records since the last fine-tune (%d needed): nothing to do", Math.max(0, fresh), s.minNewFeedback())));
        }

        // 2. the judgements and their chips
        FeedbackResolver.Resolution resolution = FeedbackResolver.resolve(feedback);
        s.log().printf("%d feedback records (%d new): %d judgements after the conflict rule (%d overridden by the same user, %d ties"
                + " dropped)%n", feedback.size(), fresh, resolution.judgements().size(), resolution.overridden(), resolution.ties());
        report.phase("reading chips");
        Map<String, byte[]> chips = chips(s, resolution.judgements());
        List<FeedbackFineTuner.Judgement> judgements = new ArrayList<>();
        int missing = 0;
        for (FeedbackResolver.Resolved r : resolution.judgements()) {
            byte[] image = chips.get(r.chipId());
            if (image == null) {
                missing++;
                continue;
            }
            judgements.add(new FeedbackFineTuner.Judgement(r.queryText(), r.chipId(), image, r.relevant()));
        }
        if (missing > 0) {
            s.log().printf("%d judgements name chips that are not (or no longer) on %s: left out%n", missing, Topics.CHIPS.name());
        }
        if (judgements.isEmpty()) {
            return report.done(new Outcome(Status.NOTHING_TO_DO, null, "no usable judgement among " + feedback.size()
                    + " feedback records: nothing to do"));
        }

        // 3. the parent
        Parent parent = parent(s, releases);
        s.log().printf("parent %s (%s)%n", parent.release().getVersion(), parent.release().getCheckpointUri());

        // 4. train, store
        CheckpointStore store = new CheckpointStore(s.store());
        Path work = store.root().resolve(".work-" + UUID.randomUUID());
        FeedbackFineTuner.Result result;
        CheckpointStore.Stored stored;
        try {
            report.phase("fine-tuning");
            Map<String, Object> facts = new LinkedHashMap<>();
            facts.put("feedbackEndOffsets", feedbackEnd);
            facts.put("feedbackRecords", feedback.size());
            facts.put("judgements", judgements.size());
            result = FeedbackFineTuner.run(parent.checkpoint(), judgements, s.config(), facts, work.resolve("candidate"), s.log(),
                    (done, total, loss) -> {
                        report.step(done, total, loss);
                        s.listener().afterStep(done, total, loss);
                    });
            stored = store.store(work.resolve("candidate"));
        } finally {
            deleteQuietly(work);
        }

        // 5. the release, last
        if (releases.get(stored.version()).isPresent()) {
            return report.done(new Outcome(Status.ALREADY_RELEASED, releases.get(stored.version()).get(), "release " + stored.version()
                    + " is already on " + Topics.MODELS.name() + " (" + releases.get(stored.version()).get().getStatus() + "): left as it is"));
        }
        Map<String, Double> metrics = new LinkedHashMap<>(result.candidateMetrics());
        result.parentMetrics().forEach((k, v) -> metrics.put(PARENT_PREFIX + k, v));
        metrics.put(FEEDBACK_CONSUMED, (double) consumed);
        boolean accepted = result.decision().accepted();
        Instant now = Instant.now();
        ModelRelease release = ModelRelease.newBuilder().setModelName(ModelReleases.MODEL_NAME).setVersion(stored.version())
                .setCheckpointUri(stored.uri().toString()).setSha256(stored.sha256()).setParentVersion(parent.release().getVersion())
                .setStatus(accepted ? ReleaseStatus.CANDIDATE : ReleaseStatus.REFUSED).setSceneClasses(stored.sceneClasses())
                .setValidationMetrics(metrics).setCreatedAt(now).setUpdatedAt(now)
                .setRefusal(accepted ? null : result.decision().reason()).build();
        ModelReleases.publish(s.clientConfig(), TopicAccess.RELEASES_TRANSACTIONAL_ID_PREFIX, List.of(release));
        String message = accepted
                ? String.format(Locale.ROOT, "published CANDIDATE %s (parent %s, %d judgements, %.0f s); promote it with pir-admin",
                        stored.version(), parent.release().getVersion(), judgements.size(), result.seconds())
                : "published REFUSED " + stored.version() + ": " + result.decision().reason();
        return report.done(new Outcome(accepted ? Status.CANDIDATE : Status.REFUSED, release, message));
    }

    /** The feedback the newest release of this job had consumed (0 when it made none). */
    static long lastConsumed(ModelReleases.Snapshot releases) {
        return releases.byVersion().values().stream().filter(r -> r.getValidationMetrics().containsKey(FEEDBACK_CONSUMED))
                .max(Comparator.comparing(ModelRelease::getCreatedAt))
                .map(r -> r.getValidationMetrics().get(FEEDBACK_CONSUMED).longValue()).orElse(0L);
    }

    private record Parent(ModelRelease release, Checkpoint.Loaded checkpoint) {
    }

    private static Parent parent(Settings s, ModelReleases.Snapshot releases) {
        var active = releases.active();
        if (active.isPresent()) {
            ModelRelease r = active.get();
            return new Parent(r, CheckpointStore.read(java.net.URI.create(r.getCheckpointUri()), r.getSha256()));
        }
        CheckpointStore.Stored base = s.baseCheckpoint() == null ? CheckpointStore.builtin() : new CheckpointStore(s.store()).store(s.baseCheckpoint());
        ModelRelease genesis = ModelReleases.genesis(base.version(), base.uri().toString(), base.sha256(), base.sceneClasses(), Instant.now());
        ModelReleases.publish(s.clientConfig(), TopicAccess.RELEASES_TRANSACTIONAL_ID_PREFIX, List.of(genesis));
        s.log().printf("no ACTIVE release: recorded %s (%s) as the genesis release%n", base.version(), base.uri());
        return new Parent(genesis, CheckpointStore.read(base.uri(), base.sha256()));
    }

    /** The images of the chips the judgements name: the latest record of each, a tombstone removes it. */
    private static Map<String, byte[]> chips(Settings s, List<FeedbackResolver.Resolved> judgements) {
        Set<String> wanted = new HashSet<>();
        judgements.forEach(j -> wanted.add(j.chipId()));
        Map<String, byte[]> images = new HashMap<>();
        TopicScan.readToEnd(s.clientConfig(), Topics.CHIPS.name(), s.timeout(), record -> {
            if (record.key() == null || !wanted.contains(record.key())) {
                return;
            }
            if (record.value() == null) {
                images.remove(record.key());
                return;
            }
            try {
                Chip chip = Topics.CHIPS.valueSerde().deserializer().deserialize(record.topic(), record.value());
                ByteBuffer buffer = chip.getImage();
                byte[] bytes = new byte[buffer.remaining()];
                buffer.duplicate().get(bytes);
                images.put(record.key(), bytes);
            } catch (RuntimeException e) {
                s.log().printf("skipping %s-%d@%d: not a Chip record (%s)%n", record.topic(), record.partition(), record.offset(),
                        e.getMessage());
            }
        });
        return images;
    }

    private static void ensureTopics(Settings s) {
        Map<String, Object> admin = new HashMap<>(s.clientConfig());
        admin.keySet().retainAll(AdminClientConfig.configNames());
        try (Admin client = Admin.create(admin)) {
            short replication = TopicAdmin.replicationFactor(client, s.replicationFactor(), s.timeout());
            new TopicAdmin(client, replication, s.timeout()).ensure(List.of(Topics.FEEDBACK, Topics.CHIPS, Topics.MODELS)).mismatches()
                    .forEach(m -> s.log().println("warning: " + m));
        }
    }

    private static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a left-over work folder starts with a dot: never taken for a stored version
        }
    }

    /** The JSON progress file: phase, step, ETA, and at the end the outcome. */
    private static final class Report {
        private final Path file;
        private final long start = System.nanoTime();
        private long firstStep;
        private final Map<String, Object> state = new LinkedHashMap<>();

        Report(Path file) {
            this.file = file;
            state.put("startedAt", Instant.now().toString());
        }

        void phase(String phase) {
            state.put("phase", phase);
            write();
        }

        void step(int done, int total, float loss) {
            long now = System.nanoTime();
            if (done == 1) {
                firstStep = now;
            }
            state.put("step", done);
            state.put("steps", total);
            state.put("loss", Float.isFinite(loss) ? loss : null);
            state.put("elapsedSeconds", Math.round((now - start) / 1e9));
            // the ETA of the remaining training steps, from the pace since the first; the candidate's evaluation follows
            if (done > 1) {
                state.put("trainingEtaSeconds", Math.round((now - firstStep) / 1e9 / (done - 1) * (total - done)));
            }
            write();
        }

        Outcome done(Outcome outcome) {
            state.put("phase", "done");
            state.put("status", outcome.status().name());
            state.put("version", outcome.release() == null ? null : outcome.release().getVersion());
            state.put("message", outcome.message());
            state.put("elapsedSeconds", Math.round((System.nanoTime() - start) / 1e9));
            write();
            return outcome;
        }

        private void write() {
            if (file == null) {
                return;
            }
            try {
                if (file.getParent() != null) {
                    Files.createDirectories(file.getParent());
                }
                Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
                JSON.writeValue(tmp.toFile(), state);
                Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the progress report " + file, e);
            }
        }
    }
}
