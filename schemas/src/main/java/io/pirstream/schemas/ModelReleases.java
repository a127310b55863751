package io.pirstream.schemas;

import io.pirstream.schemas.avro.ModelRelease;
import io.pirstream.schemas.avro.ReleaseStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model release life cycle on {@code pir.models} (key: version; the latest record of a version is its state):
 * a {@link Snapshot} of every release, the transitions an operator makes (promote, roll back, retire) as the records
 * to write, and reading and writing the topic. Transitions that change two releases are written in one transaction,
 * so a {@code read_committed} reader never sees two ACTIVE releases.
 *
 * <p>While the topic holds no ACTIVE release, every service runs the model it was configured with (the shipped one by
 * default); the first writer records that one as the ACTIVE genesis release ({@link #genesis}).
 */
public final class ModelReleases {

    private static final Logger LOG = LoggerFactory.getLogger(ModelReleases.class);

    /** URI scheme of the model shipped inside pir-model. */
    public static final String BUILTIN_URI = "builtin:default";
    /** Model name of every PIR release (the compacted key is the version; the name groups them for people). */
    public static final String MODEL_NAME = "pir";

    /** A transition that the current releases do not allow; the message says why and what to do. */
    public static final class Refused extends RuntimeException {
        public Refused(String message) {
            super(message);
        }
    }

    /** The latest record of every release. */
    public record Snapshot(Map<String, ModelRelease> byVersion) {
        public Snapshot {
            byVersion = Map.copyOf(byVersion);
        }

        public static Snapshot empty() {
            return new Snapshot(Map.of());
        }

        public Optional<ModelRelease> get(String version) {
            return Optional.ofNullable(byVersion.get(version));
        }

        /** The release searches should be answered by; the newest by status change if a writer left two. */
        public Optional<ModelRelease> active() {
            return byVersion.values().stream().filter(r -> r.getStatus() == ReleaseStatus.ACTIVE)
                    .max(Comparator.comparing(ModelReleases::changedAt));
        }

        /** Releases that keep an embedder and an index: ACTIVE and SHADOW, active first. */
        public List<ModelRelease> live() {
            return byVersion.values().stream().filter(ModelReleases::isLive)
                    .sorted(Comparator.comparing((ModelRelease r) -> r.getStatus() != ReleaseStatus.ACTIVE)
                            .thenComparing(ModelReleases::changedAt, Comparator.reverseOrder()))
                    .toList();
        }

        /** Every release, newest first. */
        public List<ModelRelease> all() {
            return byVersion.values().stream().sorted(Comparator.comparing(ModelRelease::getCreatedAt).reversed()
                    .thenComparing(ModelRelease::getVersion)).toList();
        }

        Snapshot with(Collection<ModelRelease> records) {
            Map<String, ModelRelease> next = new HashMap<>(byVersion);
            records.forEach(r -> next.put(r.getVersion(), r));
            return new Snapshot(next);
        }
    }

    static {
        // copying a release (newBuilder(release)) instantiates its enum by name: Avro must trust the generated package
        AvroContracts.ensureTrusted();
    }

    private ModelReleases() {
    }

    public static boolean isLive(ModelRelease release) {
        return release.getStatus() == ReleaseStatus.ACTIVE || release.getStatus() == ReleaseStatus.SHADOW;
    }

    /** The record that makes a running, unrecorded model the ACTIVE release. */
    public static ModelRelease genesis(String version, String checkpointUri, String sha256, List<String> sceneClasses,
                                       Instant now) {
        return ModelRelease.newBuilder().setModelName(MODEL_NAME).setVersion(version).setCheckpointUri(checkpointUri)
                .setSha256(sha256).setParentVersion(null).setStatus(ReleaseStatus.ACTIVE).setSceneClasses(sceneClasses)
                .setValidationMetrics(Map.of()).setCreatedAt(now).setRefusal(null).setReplaces(null)
                .setReplayGeneration(0).setReplayFrom(null).setUpdatedAt(now).build();
    }

    /**
     * Promotion: {@code version} becomes ACTIVE (each query replica flips once its index has caught up) and the
     * current active stays live as SHADOW for rollback.
     */
    public static List<ModelRelease> promote(Snapshot releases, String version, Instant now) {
        ModelRelease target = releases.get(version).orElseThrow(() -> unknown(releases, version));
        switch (target.getStatus()) {
            case ACTIVE -> throw new Refused("release " + version + " is already active");
            case REFUSED -> throw new Refused("release " + version + " failed validation and cannot be promoted: "
                    + target.getRefusal());
            case RETIRED -> throw new Refused("release " + version + " is retired (its topic and indexes are deleted)");
            default -> {
            }
        }
        List<ModelRelease> records = new ArrayList<>();
        Optional<ModelRelease> current = releases.active();
        current.ifPresent(active -> records.add(withStatus(active, ReleaseStatus.SHADOW, now)));
        ModelRelease promoted = withStatus(target, ReleaseStatus.ACTIVE, now);
        promoted.setReplaces(current.map(ModelRelease::getVersion).orElse(null));
        records.add(promoted);
        return records;
    }

    /** Rollback: promotes the release the active one replaced, if it is still live. */
    public static List<ModelRelease> rollback(Snapshot releases, Instant now) {
        ModelRelease active = releases.active().orElseThrow(() -> new Refused("no release is active: nothing to roll back"));
        String previous = active.getReplaces();
        if (previous == null) {
            throw new Refused("active release " + active.getVersion() + " replaced no other release: nothing to roll back to");
        }
        ModelRelease target = releases.get(previous).orElseThrow(() -> unknown(releases, previous));
        if (target.getStatus() != ReleaseStatus.SHADOW) {
            throw new Refused("release " + previous + " (which " + active.getVersion() + " replaced) is " + target.getStatus()
                    + ", not SHADOW: promote another release explicitly");
        }
        List<ModelRelease> records = promote(releases, previous, now);
        // a rollback is not a new promotion: the restored release keeps what it replaced before
        records.get(records.size() - 1).setReplaces(target.getReplaces());
        return records;
    }

    /** Retirement of a release that is not active: its embedder stops, its topic and indexes are deleted. */
    public static List<ModelRelease> retire(Snapshot releases, String version, Instant now) {
        ModelRelease target = releases.get(version).orElseThrow(() -> unknown(releases, version));
        if (target.getStatus() == ReleaseStatus.ACTIVE) {
            throw new Refused("release " + version + " is active: promote or roll back to another release first");
        }
        if (target.getStatus() == ReleaseStatus.RETIRED) {
            throw new Refused("release " + version + " is already retired");
        }
        return List.of(withStatus(target, ReleaseStatus.RETIRED, now));
    }

    /**
     * Replay of a live release: its embedders re-embed {@code pir.chips} from {@code from} (null: the beginning) under
     * a new application id, and every query replica rebuilds its index of the version from the topic.
     */
    public static List<ModelRelease> replay(Snapshot releases, String version, Instant from, Instant now) {
        ModelRelease target = releases.get(version).orElseThrow(() -> unknown(releases, version));
        if (!isLive(target)) {
            throw new Refused("release " + version + " is " + target.getStatus() + ": only ACTIVE and SHADOW releases have"
                    + " an embedder and indexes to replay into");
        }
        return List.of(copy(target).setReplayGeneration(target.getReplayGeneration() + 1).setReplayFrom(from)
                .setUpdatedAt(now).build());
    }

    /**
     * The id of one release's Kafka Streams application (an embedder, an index): {@code <prefix>-<version>}, with
     * {@code -r<generation>} after a replay, so that a replay starts from fresh offsets and state.
     */
    public static String applicationId(String prefix, ModelRelease release) {
        return applicationId(prefix, release.getVersion(), release.getReplayGeneration());
    }

    public static String applicationId(String prefix, String version, int replayGeneration) {
        return prefix + "-" + version + (replayGeneration == 0 ? "" : "-r" + replayGeneration);
    }

    /** A copy with another status and {@code updatedAt}. */
    public static ModelRelease withStatus(ModelRelease release, ReleaseStatus status, Instant now) {
        return copy(release).setStatus(status).setUpdatedAt(now).build();
    }

    /**
     * A builder with every field of {@code release} set. Not {@code ModelRelease.newBuilder(release)}: its deep copy
     * resolves the enum class through the thread's context class loader, which in Quarkus may be another one.
     */
    public static ModelRelease.Builder copy(ModelRelease release) {
        return ModelRelease.newBuilder().setModelName(release.getModelName()).setVersion(release.getVersion())
                .setCheckpointUri(release.getCheckpointUri()).setSha256(release.getSha256())
                .setParentVersion(release.getParentVersion()).setStatus(release.getStatus())
                .setSceneClasses(List.copyOf(release.getSceneClasses()))
                .setValidationMetrics(Map.copyOf(release.getValidationMetrics())).setCreatedAt(release.getCreatedAt())
                .setRefusal(release.getRefusal()).setReplaces(release.getReplaces())
                .setReplayGeneration(release.getReplayGeneration()).setReplayFrom(release.getReplayFrom())
                .setUpdatedAt(release.getUpdatedAt());
    }

    static Instant changedAt(ModelRelease release) {
        return release.getUpdatedAt() != null ? release.getUpdatedAt() : release.getCreatedAt();
    }

    private static Refused unknown(Snapshot releases, String version) {
        return new Refused("no release " + version + " on " + Topics.MODELS.name() + "; known: "
                + (releases.byVersion().isEmpty() ? "none" : String.join(", ", new java.util.TreeSet<>(releases.byVersion().keySet()))));
    }

    /**
     * Reads the topic to its end ({@code read_committed}).
     *
     * @param clientConfig bootstrap servers and security settings
     * @throws KafkaException when Kafka does not answer within {@code timeout}
     */
    public static Snapshot read(Map<String, Object> clientConfig, Duration timeout) {
        try (KafkaConsumer<String, ModelRelease> consumer = consumer(clientConfig)) {
            List<TopicPartition> partitions = partitions(consumer, timeout);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            Snapshot snapshot = Snapshot.empty();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!caughtUp(consumer, end)) {
                if (System.nanoTime() > deadline) {
                    throw new KafkaException("could not read " + Topics.MODELS.name() + " to its end within " + timeout);
                }
                snapshot = snapshot.with(poll(consumer));
            }
            return snapshot;
        }
    }

    /**
     * Writes records in one transaction and returns once they are committed.
     *
     * @param clientConfig bootstrap servers and security settings
     * @param transactionalIdPrefix the writer's prefix (ACLs grant transactional ids by prefix)
     */
    public static void publish(Map<String, Object> clientConfig, String transactionalIdPrefix, List<ModelRelease> records) {
        Map<String, Object> config = new HashMap<>(clientConfig);
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalIdPrefix + UUID.randomUUID());
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 30_000);
        try (KafkaProducer<String, ModelRelease> producer = new KafkaProducer<>(config,
                Topics.MODELS.keySerde().serializer(), Topics.MODELS.valueSerde().serializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            try {
                for (ModelRelease record : records) {
                    producer.send(new ProducerRecord<>(Topics.MODELS.name(), record.getVersion(), record));
                }
                producer.commitTransaction();
            } catch (KafkaException e) {
                producer.abortTransaction();
                throw e;
            }
        }
    }

    /**
     * Follows the topic on a daemon thread and calls the listener with the full snapshot after each change (first
     * once it has read to the end, with whatever is there, even nothing). Survives Kafka being away: it retries.
     */
    public static final class Watcher implements AutoCloseable {
        private final KafkaConsumer<String, ModelRelease> consumer;
        private final Thread thread;
        private volatile boolean running = true;
        private volatile Snapshot latest;

        public Watcher(Map<String, Object> clientConfig, Consumer<Snapshot> listener) {
            this.consumer = consumer(clientConfig);
            this.thread = new Thread(() -> run(listener), "pirstream-releases-watcher");
            this.thread.setDaemon(true);
            this.thread.start();
        }

        /** The latest snapshot, empty until the topic has been read to its end once. */
        public Optional<Snapshot> latest() {
            return Optional.ofNullable(latest);
        }

        private void run(Consumer<Snapshot> listener) {
            Snapshot snapshot = Snapshot.empty();
            boolean delivered = false;
            Map<TopicPartition, Long> end = null;
            while (running) {
                try {
                    if (consumer.assignment().isEmpty()) {
                        List<TopicPartition> partitions = partitions(consumer, Duration.ofSeconds(10));
                        consumer.assign(partitions);
                        consumer.seekToBeginning(partitions);
                        end = consumer.endOffsets(partitions, Duration.ofSeconds(10));
                    }
                    List<ModelRelease> changed = poll(consumer);
                    snapshot = snapshot.with(changed);
                    if (!delivered && caughtUp(consumer, end) || delivered && !changed.isEmpty()) {
                        delivered = true;
                        latest = snapshot;
                        listener.accept(snapshot);
                    }
                } catch (WakeupException e) {
                    // closing
                } catch (KafkaException e) {
                    LOG.warn("Cannot read {} ({}); retrying", Topics.MODELS.name(), e.getMessage());
                    sleep();
                } catch (RuntimeException e) {
                    LOG.error("Release listener failed; continuing with the next change", e);
                }
            }
            consumer.close(Duration.ofSeconds(2));
        }

        private static void sleep() {
            try {
                TimeUnit.SECONDS.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() {
            running = false;
            consumer.wakeup();
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static KafkaConsumer<String, ModelRelease> consumer(Map<String, Object> clientConfig) {
        Map<String, Object> config = new LinkedHashMap<>(clientConfig);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        return new KafkaConsumer<>(config, Topics.MODELS.keySerde().deserializer(), Topics.MODELS.valueSerde().deserializer());
    }

    private static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, Duration timeout) {
        var infos = consumer.partitionsFor(Topics.MODELS.name(), timeout);
        if (infos == null || infos.isEmpty()) {
            throw new KafkaException("topic " + Topics.MODELS.name() + " does not exist yet");
        }
        return infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    }

    private static boolean caughtUp(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
        if (end == null) {
            return false;
        }
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** The next records; one that does not decode is skipped with a warning (the topic holds nothing else to lose). */
    private static List<ModelRelease> poll(KafkaConsumer<String, ModelRelease> consumer) {
        List<ModelRelease> records = new ArrayList<>();
        try {
            for (ConsumerRecord<String, ModelRelease> record : consumer.poll(Duration.ofMillis(250))) {
                if (record.value() != null) {
                    records.add(Objects.requireNonNull(record.value()));
                }
            }
        } catch (RecordDeserializationException e) {
            LOG.warn("Skipping an undecodable record of {} at offset {}: {}", e.topicPartition(), e.offset(), e.getMessage());
            consumer.seek(e.topicPartition(), e.offset() + 1);
        }
        return records;
    }
}
