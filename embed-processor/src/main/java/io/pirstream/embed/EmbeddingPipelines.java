package io.pirstream.embed;

import io.micrometer.core.instrument.MeterRegistry;
import io.pirstream.model.CheckpointStore;
import io.pirstream.model.DeviceChoice;
import io.pirstream.model.PirModel;
import io.pirstream.schemas.HangingTransactions;
import io.pirstream.schemas.KafkaClientSecurity;
import io.pirstream.schemas.ModelReleases;
import io.pirstream.schemas.RebalanceWatchdog;
import io.pirstream.schemas.StreamThreadRecovery;
import io.pirstream.schemas.Topic;
import io.pirstream.schemas.TopicAdmin;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.DeadLetter;
import io.pirstream.schemas.avro.ModelRelease;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One embedding pipeline (model, inference queue, Kafka Streams application) per live model release: the ACTIVE one
 * and every SHADOW one (a promotion replaying {@code pir.chips} from the beginning into its own topic while live chips
 * keep flowing into the active one, or the previous active kept current for rollback). While {@code pir.models} has
 * no active release, the configured checkpoint runs alone. Each pipeline's application id is
 * {@link ModelReleases#applicationId}: a new release, or a replay, starts from fresh offsets.
 */
final class EmbeddingPipelines implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddingPipelines.class);

    /** What every pipeline shares. */
    record Settings(String bootstrapServers, KafkaClientSecurity security, String applicationIdPrefix,
                    String instanceId, Path stateDir,
                    int batchSize, Duration maxWait, short replicationFactor, Topic<String, Chip> chips,
                    Topic<byte[], DeadLetter> dlq, DeviceChoice device, MeterRegistry registry,
                    Duration maxRebalance) {
    }

    /** A running pipeline. */
    private record Pipeline(String applicationId, PirModel model, InferenceQueue inference, KafkaStreams streams,
                            RebalanceWatchdog watchdog, List<String> topics) {
        void close() {
            streams.close(Duration.ofSeconds(30));
            inference.close();
            model.close();
        }
    }

    private final Settings settings;
    private final Supplier<PirModel> fallback;
    private final Runnable onError;
    private final Map<String, Pipeline> running = new LinkedHashMap<>();
    private final Map<String, String> failures = new LinkedHashMap<>();
    private final ScheduledExecutorService watchdogs = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "pirstream-rebalance-watchdog");
        thread.setDaemon(true);
        return thread;
    });
    private String fallbackVersion;
    private volatile boolean stuck;

    /**
     * @param fallback the model to run while no release is active (loaded once)
     * @param onError called when a pipeline's Streams client dies for good (the process should exit and be restarted)
     */
    EmbeddingPipelines(Settings settings, Supplier<PirModel> fallback, Runnable onError) {
        this.settings = settings;
        this.fallback = fallback;
        this.onError = onError;
        long period = Math.max(1, Math.min(10, settings.maxRebalance().toSeconds() / 10));
        watchdogs.scheduleWithFixedDelay(this::exitWhenStuck, period, period, TimeUnit.SECONDS);
    }

    /**
     * A client stuck rebalancing (RebalanceWatchdog): hanging transactions on its partitions are aborted and it gets
     * the limit again; with none, it is dead as one in ERROR, and the process exits to be restarted.
     */
    private void exitWhenStuck() {
        List<Pipeline> pipelines;
        synchronized (this) {
            pipelines = List.copyOf(running.values());
        }
        for (Pipeline pipeline : pipelines) {
            if (stuck) {
                return;
            }
            Optional<Duration> rebalancing = pipeline.watchdog().stuckFor();
            switch (pipeline.watchdog().check(() -> abortHangingTransactions(pipeline))) {
                case REMEDIED -> LOG.warn("{}: rebalancing for {}; aborted hanging transaction(s) that held back its"
                        + " readers", pipeline.applicationId(), rebalancing.orElse(Duration.ZERO));
                case STUCK -> {
                    stuck = true;
                    LOG.error("{}: Kafka Streams has been rebalancing for {} (limit {}) with no error and no hanging"
                            + " transaction; exiting for a restart", pipeline.applicationId(),
                            rebalancing.orElse(Duration.ZERO), pipeline.watchdog().limit());
                    onError.run();
                }
                case FINE -> { }
            }
        }
    }

    /** On the pipeline's input, output and dead-letter topics and its own internal topics (changelogs). */
    private List<AbortTransactionSpec> abortHangingTransactions(Pipeline pipeline) {
        try (Admin admin = admin()) {
            List<AbortTransactionSpec> aborted = HangingTransactions.abortForClient(admin, pipeline.applicationId(),
                    pipeline.topics(), Duration.ofMinutes(1), Instant.now());
            if (!aborted.isEmpty()) {
                LOG.warn("{}: aborted {}", pipeline.applicationId(), aborted);
            }
            return aborted;
        } catch (Exception e) {
            LOG.warn("{}: cannot look for hanging transactions: {}", pipeline.applicationId(), e.toString());
            return List.of();
        }
    }

    /** True when a pipeline's Streams client died or got stuck: the process should exit non-zero. */
    boolean failed() {
        return stuck || state() == KafkaStreams.State.ERROR;
    }

    /** Brings the running pipelines in line with the releases. */
    synchronized void apply(ModelReleases.Snapshot releases) {
        Map<String, ModelRelease> desired = new LinkedHashMap<>();
        for (ModelRelease release : releases.live()) {
            desired.put(ModelReleases.applicationId(settings.applicationIdPrefix(), release), release);
        }
        boolean implicit = releases.active().isEmpty();
        for (var it = running.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Pipeline> entry = it.next();
            boolean fallbackStillWanted = implicit && entry.getValue().model().version().equals(fallbackVersion);
            if (!desired.containsKey(entry.getKey()) && !fallbackStillWanted) {
                String version = entry.getValue().model().version();
                LOG.info("Stopping the embedder of {} ({}): {}", version, entry.getKey(),
                        releases.get(version).map(r -> "release is " + r.getStatus()
                                + (r.getReplayGeneration() > 0 ? ", replay generation " + r.getReplayGeneration() : ""))
                                .orElse("no longer the fallback"));
                entry.getValue().close();
                entry.getValue().streams().cleanUp();
                it.remove();
            }
        }
        if (implicit) {
            if (running.isEmpty()) {
                start(null);
            }
            return;
        }
        desired.forEach((applicationId, release) -> {
            if (!running.containsKey(applicationId) && !failures.containsKey(applicationId)) {
                start(release);
            }
        });
    }

    private void start(ModelRelease release) {
        String applicationId = null;
        try {
            PirModel model;
            if (release == null) {
                model = fallback.get();
                fallbackVersion = model.version();
            } else {
                model = CheckpointStore.open(URI.create(release.getCheckpointUri()), release.getSha256(), settings.device());
                if (!model.version().equals(release.getVersion())) {
                    model.close();
                    throw new IllegalStateException("checkpoint " + release.getCheckpointUri() + " is version " + model.version()
                            + ", the release says " + release.getVersion());
                }
            }
            applicationId = release == null
                    ? ModelReleases.applicationId(settings.applicationIdPrefix(), model.version(), 0)
                    : ModelReleases.applicationId(settings.applicationIdPrefix(), release);
            running.put(applicationId, launch(model, applicationId, release));
        } catch (RuntimeException e) {
            String key = applicationId != null ? applicationId : release == null ? "fallback" : release.getVersion();
            LOG.error("Cannot run the embedder of {}: {}", release == null ? "the configured model" : release.getVersion(),
                    e.getMessage(), e);
            failures.put(key, e.getMessage());
        }
    }

    private Pipeline launch(PirModel model, String applicationId, ModelRelease release) {
        ChipEmbedder embedder = new ChipEmbedder(model);
        Topic<String, io.pirstream.schemas.avro.Embedding> output = ChipEmbeddingTopology.outputTopic(embedder);
        ensureTopics(List.of(settings.chips(), settings.dlq(), output));
        if (release != null && release.getReplayFrom() != null) {
            startFrom(applicationId, release.getReplayFrom());
        }
        EmbedMetrics metrics = new EmbedMetrics(settings.registry(), model.version());
        InferenceQueue inference = new InferenceQueue(embedder, settings.batchSize(), settings.maxWait(), metrics);
        Topology topology = ChipEmbeddingTopology.build(inference, new ChipEmbeddingTopology.Settings(settings.chips(),
                output, settings.dlq(), applicationId), metrics);
        KafkaStreams streams = new KafkaStreams(topology, settings.security().applyTo(EmbedProcessor.streamsConfig(
                settings.bootstrapServers(), applicationId, settings.instanceId(), settings.stateDir(),
                settings.batchSize(), settings.replicationFactor())));
        streams.setUncaughtExceptionHandler(new StreamThreadRecovery(5, Duration.ofMinutes(5), java.time.Clock.systemUTC()));
        RebalanceWatchdog watchdog = new RebalanceWatchdog(settings.maxRebalance(), java.time.Clock.systemUTC());
        streams.setStateListener((now, before) -> {
            LOG.info("{}: Streams state {} -> {}", applicationId, before, now);
            watchdog.onChange(now);
            if (now == KafkaStreams.State.ERROR) {
                onError.run();
            }
        });
        LOG.info("Model {} on {}: {} -> {} ({})", model.version(), model.device(), settings.chips().name(), output.name(),
                applicationId);
        streams.start();
        return new Pipeline(applicationId, model, inference, streams, watchdog,
                List.of(settings.chips().name(), output.name(), settings.dlq().name()));
    }

    /** A replay from a time: the new application's group starts at the first chip ingested at or after it. */
    private void startFrom(String applicationId, Instant from) {
        try (Admin admin = admin()) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(applicationId)
                    .partitionsToOffsetAndMetadata().get();
            if (!committed.isEmpty()) {
                return; // this replay has started before (another instance, or this one before a restart)
            }
            List<TopicPartition> partitions = admin.describeTopics(List.of(settings.chips().name())).allTopicNames().get()
                    .get(settings.chips().name()).partitions().stream()
                    .map(p -> new TopicPartition(settings.chips().name(), p.partition())).toList();
            Map<TopicPartition, OffsetSpec> atTime = partitions.stream()
                    .collect(Collectors.toMap(p -> p, p -> OffsetSpec.forTimestamp(from.toEpochMilli())));
            Map<TopicPartition, OffsetSpec> atEnd = partitions.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest()));
            var found = admin.listOffsets(atTime).all().get();
            var end = admin.listOffsets(atEnd).all().get();
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            for (TopicPartition p : partitions) {
                long offset = found.get(p).offset();
                offsets.put(p, new OffsetAndMetadata(offset >= 0 ? offset : end.get(p).offset()));
            }
            admin.alterConsumerGroupOffsets(applicationId, offsets).all().get();
            LOG.info("Replay {} starts at the chips ingested from {}: {}", applicationId, from, offsets);
        } catch (Exception e) {
            throw new IllegalStateException("cannot position replay " + applicationId + " at " + from + ": " + e.getMessage(), e);
        }
    }

    private void ensureTopics(List<Topic<?, ?>> topics) {
        try (Admin admin = admin()) {
            new TopicAdmin(admin, settings.replicationFactor(), Duration.ofSeconds(30)).ensure(topics).mismatches()
                    .forEach(LOG::warn);
        }
    }

    private Admin admin() {
        return Admin.create(settings.security().apply(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                settings.bootstrapServers())));
    }

    /** The least healthy state of the running pipelines ({@code NOT_RUNNING} when none runs). */
    synchronized KafkaStreams.State state() {
        if (running.isEmpty()) {
            return KafkaStreams.State.NOT_RUNNING;
        }
        return running.values().stream().map(p -> p.streams().state())
                .max(java.util.Comparator.comparingInt(EmbeddingPipelines::severity)).orElseThrow();
    }

    private static int severity(KafkaStreams.State state) {
        return switch (state) {
            case RUNNING -> 0;
            case REBALANCING -> 1;
            case CREATED -> 2;
            case PENDING_SHUTDOWN, NOT_RUNNING -> 3;
            case PENDING_ERROR, ERROR -> 4;
        };
    }

    /** Model versions with their application ids, and the releases that failed to start, for health. */
    synchronized String describe() {
        String models = running.values().stream().map(p -> p.model().version() + " (" + p.applicationId() + ")")
                .collect(Collectors.joining(", "));
        return failures.isEmpty() ? models : models + "; failed: " + failures;
    }

    @Override
    public synchronized void close() {
        watchdogs.shutdownNow();
        running.values().forEach(Pipeline::close);
        running.clear();
    }
}
