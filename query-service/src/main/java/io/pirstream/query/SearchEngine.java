package io.pirstream.query;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.pirstream.model.CheckpointStore;
import io.pirstream.model.KernelThreads;
import io.pirstream.model.DeviceChoice;
import io.pirstream.model.PirModel;
import io.pirstream.query.index.Hit;
import io.pirstream.query.index.SearchFilters;
import io.pirstream.query.index.VectorIndex;
import io.pirstream.query.index.VectorStore;
import io.pirstream.schemas.HangingTransactions;
import io.pirstream.schemas.ModelReleases;
import io.pirstream.schemas.TopicAdmin;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.DeadLetter;
import io.pirstream.schemas.avro.Embedding;
import io.pirstream.schemas.avro.ModelRelease;
import io.pirstream.service.kafka.KafkaClients;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.jboss.logging.Logger;

/**
 * Answers searches from the index of the serving model version, and keeps one {@link VersionIndex} per live release
 * (ACTIVE and SHADOW on {@code pir.models}; the configured checkpoint while none is active). When the active release
 * changes, the new version's index is built beside the serving one, and the engine flips to it atomically once it
 * has caught up: its store has applied everything committed to its topic and holds at least as many chips as the
 * serving one, for {@code flip-settle}. A search takes the serving index once, so it never mixes versions, and its
 * {@link Answer} names the version. The previous index stays while its release is live (for rollback).
 */
@ApplicationScoped
public class SearchEngine {

    private static final Logger LOG = Logger.getLogger(SearchEngine.class);
    /** A replaced index is closed this long after it stops serving, so searches that hold it finish. */
    private static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

    /** The store cannot answer yet (restoring, rebalancing, stopped). */
    public static final class NotReady extends RuntimeException {
        NotReady(String message) {
            super(message);
        }
    }

    /** What a search found, and the model version that answered it. */
    public record Answer(String modelVersion, List<Hit> hits) {
    }

    /** Fired (synchronously) after the engine starts serving another version. */
    public record Flip(String from, String to, PirModel model, Instant at) {
    }

    /** One index as health and the models endpoint show it. */
    public record IndexView(String modelVersion, String applicationId, String state, int size, boolean caughtUp,
                            boolean serving, boolean target) {
    }

    private final QueryConfig config;
    private final KafkaClients clients;
    private final MeterRegistry metrics;
    private final IndexEvents events;
    private final Event<Flip> flips;
    private final Map<String, VersionIndex> indexes = new LinkedHashMap<>();
    private final Map<String, String> failures = new LinkedHashMap<>();
    private volatile VersionIndex serving;
    private volatile String target;
    private volatile Instant ready;
    private volatile Instant targetSince;
    private volatile short replicationFactor;
    private ScheduledExecutorService flipper;
    private ScheduledExecutorService hangingTransactions;
    private volatile String hangingCheckFailure;
    private ModelReleases.Watcher watcher;
    private KafkaProducer<byte[], DeadLetter> deadLetters;
    private Timer freshness;
    private volatile ModelRelease activeRelease;
    private final QueryEncoder encoder;

    public SearchEngine(QueryConfig config, KafkaClients clients, MeterRegistry metrics, IndexEvents events,
                        Event<Flip> flips, QueryEncoder encoder) {
        this.config = config;
        this.encoder = encoder;
        this.clients = clients;
        this.metrics = metrics;
        this.events = events;
        this.flips = flips;
        this.replicationFactor = config.replicationFactor();
    }

    void onStart(@Observes StartupEvent event) {
        KernelThreads.use(config.modelThreads()); // before the first model loads below
        try (Admin admin = admin()) {
            replicationFactor = TopicAdmin.replicationFactor(admin, config.replicationFactor(), Duration.ofSeconds(30));
            new TopicAdmin(admin, replicationFactor, Duration.ofSeconds(30)).ensure(List.of(Topics.DLQ, Topics.MODELS))
                    .mismatches().forEach(LOG::warn);
        } catch (RuntimeException e) {
            LOG.warnf("Could not check topics at start-up: %s", e.getMessage());
        }
        deadLetters = new KafkaProducer<>(clients.config(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                config.bootstrapServers(), ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all")),
                Topics.DLQ.keySerde().serializer(), Topics.DLQ.valueSerde().serializer());
        freshness = Timer.builder("pirstream.query.freshness")
                .description("Embedding emitted -> applied to the index (searchable within refresh-interval more)")
                .publishPercentiles(0.5, 0.99).register(metrics);
        ModelReleases.Snapshot releases = ModelReleases.Snapshot.empty();
        if (config.followReleases()) {
            try {
                releases = ModelReleases.read(kafkaConfig(), Duration.ofSeconds(15));
            } catch (RuntimeException e) {
                LOG.warnf("Could not read %s at start-up (%s): serving the configured model until it can be read",
                        Topics.MODELS.name(), e.getMessage());
            }
        }
        apply(releases);
        if (config.followReleases()) {
            watcher = new ModelReleases.Watcher(kafkaConfig(), this::apply);
        }
        flipper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "pirstream-index-flip");
            thread.setDaemon(true);
            return thread;
        });
        flipper.scheduleWithFixedDelay(this::flipWhenCaughtUp, 250, 250, TimeUnit.MILLISECONDS);
        // on its own thread: with Kafka down its Admin calls wait for their timeout, the flip must not
        hangingTransactions = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "pirstream-hanging-transactions");
            thread.setDaemon(true);
            return thread;
        });
        hangingTransactions.scheduleWithFixedDelay(this::abortHangingTransactions, 1, 1, TimeUnit.MINUTES);
        Gauge.builder("pirstream.query.index.size", this, engine -> engine.indexSize().orElse(-1))
                .description("Chips searchable").register(metrics);
    }

    /** Brings the indexes in line with the releases: one per live release, and which one should serve. */
    synchronized void apply(ModelReleases.Snapshot releases) {
        Map<String, ModelRelease> live = new LinkedHashMap<>();
        releases.live().forEach(r -> live.put(ModelReleases.applicationId(config.applicationId(), r), r));
        Optional<ModelRelease> active = releases.active();
        activeRelease = active.orElse(null);
        if (active.isEmpty()) {
            if (indexes.isEmpty()) {
                PirModel model = config.checkpoint().map(dir -> PirModel.load(Path.of(dir))).orElseGet(PirModel::loadDefault);
                open(ModelReleases.applicationId(config.applicationId(), model.version(), 0), model);
            }
            if (target == null) {
                target = indexes.keySet().iterator().next();
            }
        } else {
            live.forEach((applicationId, release) -> {
                if (!indexes.containsKey(applicationId) && !failures.containsKey(applicationId)) {
                    try {
                        PirModel model = CheckpointStore.open(URI.create(release.getCheckpointUri()), release.getSha256(),
                                DeviceChoice.AUTO);
                        open(applicationId, model);
                    } catch (RuntimeException e) {
                        LOG.errorf(e, "Cannot open the index of release %s: %s", release.getVersion(), e.getMessage());
                        failures.put(applicationId, e.getMessage());
                    }
                }
            });
            String activeId = ModelReleases.applicationId(config.applicationId(), active.get());
            if (!activeId.equals(target)) {
                LOG.infof("Release %s is active: its index %s serves once it has caught up", active.get().getVersion(),
                        activeId);
                target = activeId;
                targetSince = Instant.now();
                ready = null;
            }
            for (String applicationId : List.copyOf(indexes.keySet())) {
                VersionIndex index = indexes.get(applicationId);
                if (!live.containsKey(applicationId) && index != serving) {
                    retire(applicationId, releases.get(index.version()).map(r -> r.getStatus().name()).orElse("unknown"));
                }
            }
        }
        if (serving == null && target != null && indexes.containsKey(target)) {
            serving = indexes.get(target); // at start-up: serve the active version at once, restoring or not
            LOG.infof("Serving model %s from %s", serving.version(), serving.applicationId());
        }
    }

    private void open(String applicationId, PirModel model) {
        int partitions;
        try (Admin admin = admin()) {
            new TopicAdmin(admin, replicationFactor, Duration.ofSeconds(30)).ensure(List.of(Topics.embeddings(model.version())))
                    .mismatches().forEach(LOG::warn);
            partitions = admin.describeTopics(List.of(Topics.embeddings(model.version()).name())).allTopicNames()
                    .get(30, TimeUnit.SECONDS).values().iterator().next().partitions().size();
        } catch (Exception e) {
            LOG.warnf("Could not check %s (%s); assuming the contract's partitions", Topics.embeddings(model.version()).name(),
                    e.getMessage());
            partitions = Topics.embeddings(model.version()).partitions();
        }
        Properties props = new Properties();
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir());
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, streamsReplicationFactor());
        // a local copy away longer than the tombstones' retention may keep deleted chips: rebuild it from the topic
        VectorStore.discardIfStale(Path.of(config.stateDir()), applicationId, Instant.now(), VectorStore.MAX_OFFLINE)
                .ifPresent(LOG::warn);
        VersionIndex index = new VersionIndex(applicationId, model, partitions, clients.config(props),
                config.refreshInterval(), this::publishDeadLetter, indexed -> {
                    VersionIndex current = serving;
                    if (current != null && current.applicationId().equals(applicationId)) {
                        freshness.record(Duration.between(indexed.getEmbeddedAt(), Instant.now()).abs());
                        events.publish(indexed);
                    }
                });
        indexes.put(applicationId, index);
        LOG.infof("Index %s: model %s (%d dimensions) from %s", applicationId, model.version(), model.dimension(),
                index.topic().name());
    }

    private void retire(String applicationId, String why) {
        VersionIndex index = indexes.remove(applicationId);
        LOG.infof("Closing index %s (release %s): its local copy is deleted", applicationId, why);
        flipper.schedule(() -> index.close(true), CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Flips to the target index once it has caught up and stayed so for {@code flip-settle}. */
    void flipWhenCaughtUp() {
        try {
            VersionIndex next;
            VersionIndex current;
            synchronized (this) {
                next = target == null ? null : indexes.get(target);
                current = serving;
            }
            if (next == null || next == current) {
                return;
            }
            boolean waitedLongEnough = targetSince != null
                    && Duration.between(targetSince, Instant.now()).compareTo(config.flipMaxWait()) > 0;
            boolean complete = current == null || next.size() >= current.size() || waitedLongEnough;
            if (!next.caughtUp() || !complete) {
                ready = null;
                return;
            }
            if (ready == null) {
                ready = Instant.now();
                return;
            }
            if (Duration.between(ready, Instant.now()).compareTo(config.flipSettle()) < 0) {
                return;
            }
            synchronized (this) {
                if (serving != current || !indexes.containsKey(next.applicationId())) {
                    return;
                }
                serving = next;
            }
            if (current != null && next.size() < current.size()) {
                LOG.warnf("Index %s holds %d chips, %s held %d: flipping after %s anyway", next.applicationId(), next.size(),
                        current.applicationId(), current.size(), config.flipMaxWait());
            }
            LOG.infof("Flipped: searches are answered by model %s (%s, %d chips), before by %s", next.version(),
                    next.applicationId(), next.size(), current == null ? "none" : current.version());
            flips.fire(new Flip(current == null ? null : current.version(), next.version(), next.model(), Instant.now()));
            synchronized (this) {
                if (current != null && indexes.get(current.applicationId()) == current && watcher != null) {
                    // kept only while its release is live: the next snapshot closes it otherwise
                    watcher.latest().ifPresent(this::apply);
                }
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "Flip check failed: %s", e.getMessage());
        }
    }

    /**
     * {@code replication.factor} for this service's Kafka Streams internal topics: the replication policy, or -1 (the
     * broker's default) when it is {@code min(3, brokers)} and the brokers could not be counted at start-up.
     */
    public int streamsReplicationFactor() {
        return replicationFactor == TopicAdmin.AUTO_REPLICATION ? -1 : replicationFactor;
    }

    /** The replication factor topics are created with and checked against (0: not resolved, Kafka was down). */
    public short replicationFactor() {
        return replicationFactor;
    }

    /**
     * A hanging transaction on an embeddings partition (HangingTransactions, RELIABILITY.md) would hold the index
     * and the alert matcher behind it for good; abort it. Needs Describe on the producers' transactional ids and
     * Write on the topic, which the query principal lacks in a cluster with ACLs (then the embed-processor or an
     * operator does it): the failure is logged once.
     */
    private void abortHangingTransactions() {
        List<String> topics;
        synchronized (this) {
            topics = indexes.values().stream().map(index -> index.topic().name()).distinct().toList();
        }
        try (Admin admin = admin()) {
            var aborted = HangingTransactions.abortAll(admin, topics, Duration.ofMinutes(2), Instant.now());
            if (!aborted.isEmpty()) {
                LOG.warnf("Aborted %d hanging transaction(s) that held back the index: %s", aborted.size(), aborted);
            }
            hangingCheckFailure = null;
        } catch (Exception e) {
            String reason = e.getCause() != null ? e.getCause().toString() : e.toString();
            if (!reason.equals(hangingCheckFailure)) {
                LOG.infof("Cannot look for hanging transactions on %s: %s", topics, reason);
                hangingCheckFailure = reason;
            }
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        if (watcher != null) {
            watcher.close();
        }
        if (flipper != null) {
            flipper.shutdownNow();
        }
        if (hangingTransactions != null) {
            hangingTransactions.shutdownNow();
        }
        synchronized (this) {
            indexes.values().forEach(VersionIndex::close);
            indexes.clear();
        }
        if (deadLetters != null) {
            deadLetters.close(Duration.ofSeconds(5));
        }
    }

    private void publishDeadLetter(DeadLetter letter) {
        LOG.warnf("Refused a record of %s: %s", letter.getSourceTopic(), letter.getErrorMessage());
        metrics.counter("pirstream.query.dead.letters").increment();
        byte[] key = letter.getOriginalKey() == null ? null : letter.getOriginalKey().array();
        deadLetters.send(new ProducerRecord<>(Topics.DLQ.name(), key, letter), (metadata, error) -> {
            if (error != null) {
                LOG.errorf("Could not write a dead letter: %s", error.getMessage());
            }
        });
    }

    /**
     * When the serving release replaced another (its promotion or rollback), if it did: alerts count imagery from
     * then on as news.
     */
    public Optional<Instant> activeSince() {
        ModelRelease release = activeRelease;
        VersionIndex current = serving;
        if (release == null || release.getReplaces() == null || current == null
                || !current.version().equals(release.getVersion())) {
            return Optional.empty();
        }
        return Optional.ofNullable(release.getUpdatedAt());
    }

    /** The serving model version, empty before an index serves (for health). */
    public Optional<String> servingVersion() {
        VersionIndex current = serving;
        return current == null ? Optional.empty() : Optional.of(current.version());
    }

    /** The serving model version. */
    public String modelVersion() {
        return servingIndex().version();
    }

    /** The serving model (what standing queries are encoded with). */
    public PirModel model() {
        return servingIndex().model();
    }

    public KafkaStreams.State state() {
        VersionIndex current = serving;
        return current == null ? KafkaStreams.State.CREATED : current.state();
    }

    public Optional<Integer> indexSize() {
        VersionIndex current = serving;
        return current == null ? Optional.empty() : current.index().map(VectorIndex::size);
    }

    /** Every index this replica keeps, the serving one first. */
    public synchronized List<IndexView> indexes() {
        List<IndexView> views = new ArrayList<>();
        for (VersionIndex index : indexes.values()) {
            views.add(new IndexView(index.version(), index.applicationId(), index.state().name(), index.size(),
                    index.caughtUp(), index == serving, index.applicationId().equals(target)));
        }
        views.sort((a, b) -> Boolean.compare(b.serving(), a.serving()));
        return views;
    }

    /** Releases whose index could not be opened, with the reason. */
    public synchronized Map<String, String> failures() {
        return Map.copyOf(failures);
    }

    /** Length of the serving model's vectors. */
    public int dimension() {
        return servingIndex().model().dimension();
    }

    public int maxK() {
        return config.maxK();
    }

    public int maxTextLength() {
        return config.maxTextLength();
    }

    /** Text-to-image search. */
    public Answer search(String text, int k, SearchFilters filters) {
        VersionIndex current = servingIndex();
        VectorIndex index = ready(current);
        float[] query = encoder.encode(current.model(), text);
        return new Answer(current.version(), index.search(query, k, filters));
    }

    /** Image-to-image search from an indexed chip; the chip itself is left out. */
    public Optional<Answer> similar(String chipId, int k, SearchFilters filters) {
        VersionIndex current = servingIndex();
        VectorIndex index = ready(current);
        return index.get(chipId).map(chip -> {
            float[] vector = new float[chip.getVector().size()];
            for (int i = 0; i < vector.length; i++) {
                vector[i] = chip.getVector().get(i);
            }
            return new Answer(current.version(), index.search(vector, k + 1, filters).stream()
                    .filter(hit -> !hit.embedding().getChipId().equals(chipId)).limit(k).toList());
        });
    }

    public Optional<Embedding> chip(String chipId) {
        return ready(servingIndex()).get(chipId);
    }

    private VersionIndex servingIndex() {
        VersionIndex current = serving;
        if (current == null) {
            throw new NotReady("No index serves yet: the query service is starting or cannot open the active release"
                    + (failures.isEmpty() ? "" : " (" + failures + ")") + "; retry shortly");
        }
        return current;
    }

    private static VectorIndex ready(VersionIndex current) {
        KafkaStreams.State state = current.state();
        Optional<VectorIndex> index = current.index();
        if (state != KafkaStreams.State.RUNNING || index.isEmpty()) {
            throw new NotReady("The vector store is not ready (Kafka Streams state " + state
                    + "): it is restoring from " + current.topic().name() + " or Kafka is unreachable; retry shortly");
        }
        return index.get();
    }

    private Map<String, Object> kafkaConfig() {
        return clients.config(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers()));
    }

    private Admin admin() {
        return Admin.create(clients.config(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers())));
    }
}
