package io.pirstream.query.alerts;

import io.micrometer.core.instrument.MeterRegistry;
import io.pirstream.query.DeadLetterPublisher;
import io.pirstream.query.QueryConfig;
import io.pirstream.query.SearchEngine;
import io.pirstream.schemas.HangingTransactions;
import io.pirstream.schemas.RebalanceWatchdog;
import io.pirstream.schemas.StreamThreadRecovery;
import io.pirstream.schemas.Topic;
import io.pirstream.schemas.TopicAdmin;
import io.pirstream.schemas.Topics;
import io.pirstream.service.kafka.KafkaClients;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.jboss.logging.Logger;

/**
 * Runs the alert matcher ({@link AlertTopology}) inside the query service: exactly once, one application id for
 * every replica. Also owns the subscription store that the subscriptions API reads.
 */
@ApplicationScoped
public class AlertMatcher {

    private static final Logger LOG = Logger.getLogger(AlertMatcher.class);

    private final QueryConfig query;
    private final KafkaClients clients;
    private final AlertsConfig config;
    private final SearchEngine engine;
    private final DeadLetterPublisher deadLetters;
    private final AlertMetrics metrics;
    private volatile KafkaStreams streams;
    private volatile AlertTopology.Built built;
    private volatile boolean wasRunning;
    private volatile Instant alertFrom = Instant.EPOCH;
    private volatile RebalanceWatchdog watchdog;
    /** Whether the matcher is rebalancing past its limit with nothing to remedy. */
    private volatile boolean stuck;
    private ScheduledExecutorService watchdogs;

    public AlertMatcher(QueryConfig query, KafkaClients clients, AlertsConfig config, SearchEngine engine,
                        DeadLetterPublisher deadLetters, MeterRegistry registry) {
        this.query = query;
        this.clients = clients;
        this.config = config;
        this.engine = engine;
        this.deadLetters = deadLetters;
        this.metrics = new AlertMetrics(registry, () -> built == null ? 0 : built.subscriptions().matrix().size());
    }

    // after the search engine has loaded the model
    void onStart(@Observes @Priority(Interceptor.Priority.APPLICATION + 600) StartupEvent event) {
        ensureTopics();
        start(engine.activeSince().map(since -> since.minus(AlertRollover.REPLAY_MARGIN)).orElse(Instant.EPOCH));
        watchdogs = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "pirstream-alerts-rebalance-watchdog");
            thread.setDaemon(true);
            return thread;
        });
        long period = Math.max(1, Math.min(10, config.maxRebalance().toSeconds() / 10));
        watchdogs.scheduleWithFixedDelay(this::checkRebalancing, period, period, TimeUnit.SECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (watchdogs != null) {
            watchdogs.shutdownNow();
        }
        stop();
    }

    /**
     * A matcher stuck rebalancing past {@code max-rebalance} (the fault soak met an embedder held so by a hanging
     * transaction on its changelog): hanging transactions on its topics are aborted and it gets the limit again; with
     * none, it is reported stuck ({@link #stuckFor}) and liveness asks for a restart.
     */
    private void checkRebalancing() {
        RebalanceWatchdog current = watchdog;
        if (current == null) {
            return;
        }
        switch (current.check(this::abortHangingTransactions)) {
            case FINE -> stuck = false;
            case REMEDIED -> LOG.warnf("The alert matcher was rebalancing past %s; aborted hanging transactions on its"
                    + " topics", current.limit());
            case STUCK -> {
                if (!stuck) {
                    stuck = true;
                    LOG.errorf("The alert matcher has been rebalancing for longer than %s with no error and no hanging"
                            + " transaction: liveness reports it stuck, for a restart", current.limit());
                }
            }
        }
    }

    private List<AbortTransactionSpec> abortHangingTransactions() {
        List<String> topics = List.of(Topics.embeddings(engine.modelVersion()).name(), Topics.QUERIES.name(),
                Topics.ALERTS.name(), Topics.DLQ.name());
        try (Admin admin = Admin.create(clients.config(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                query.bootstrapServers())))) {
            List<AbortTransactionSpec> aborted = HangingTransactions.abortForClient(admin, config.applicationId(),
                    topics, Duration.ofMinutes(1), Instant.now());
            if (!aborted.isEmpty()) {
                LOG.warnf("Aborted hanging transactions that held back the alert matcher: %s", aborted);
            }
            return aborted;
        } catch (Exception e) {
            LOG.warnf("Cannot look for hanging transactions on the alert matcher's topics: %s", e.toString());
            return List.of();
        }
    }

    /** How long the matcher has been rebalancing past its limit with nothing to remedy; empty while it is not stuck. */
    public Optional<Duration> stuckFor() {
        RebalanceWatchdog current = watchdog;
        return !stuck || current == null ? Optional.empty() : current.stuckFor();
    }

    /** Starts the matcher (again, after {@link #stop}: tests use this to restart it). */
    public synchronized void start() {
        start(alertFrom);
    }

    /**
     * Restarts the matcher on the serving model's embeddings, matching chips ingested from {@code from} on (after a
     * flip: a margin before it, so that no chip ingested around the flip is missed; the alerted store keeps the
     * ones the previous version already alerted on from alerting twice).
     */
    public synchronized void restart(Instant from) {
        stop();
        start(from);
    }

    private void start(Instant from) {
        if (streams != null) {
            return;
        }
        alertFrom = from;
        String version = engine.modelVersion();
        AlertTopology.Settings settings = new AlertTopology.Settings(version, engine.dimension(),
                Topics.embeddings(version), Topics.QUERIES, Topics.ALERTS, Topics.DLQ,
                config.applicationId(), config.maxBatch(), config.matchInterval(), from);
        built = AlertTopology.build(settings, metrics, deadLetters::publish);
        wasRunning = false;
        streams = new KafkaStreams(built.topology(), streamsConfig());
        // a dead stream thread is replaced (its tasks resume from their last commit): without this the first error,
        // such as a commit refused right after a broker restart, stops all matching for good
        streams.setUncaughtExceptionHandler(new StreamThreadRecovery(5, Duration.ofMinutes(5), Clock.systemUTC()));
        RebalanceWatchdog rebalances = new RebalanceWatchdog(config.maxRebalance(), Clock.systemUTC());
        watchdog = rebalances;
        stuck = false;
        streams.setStateListener((now, before) -> {
            LOG.infof("Alert matcher state %s -> %s", before, now);
            rebalances.onChange(now);
            if (now == KafkaStreams.State.RUNNING) {
                wasRunning = true;
            }
        });
        streams.start();
        LOG.infof("Alert matcher %s matches %s against the standing queries of model %s (chips ingested from %s)",
                config.applicationId(), settings.embeddings().name(), version, from);
    }

    /** Stops the matcher; its state stays in the state directory. */
    public synchronized void stop() {
        if (streams != null) {
            // leave the group at once: another replica takes over this one's partitions now, not after the
            // session timeout, so alerts keep flowing while it is down
            streams.close(CloseOptions.timeout(Duration.ofSeconds(30))
                    .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
            streams = null;
        }
    }

    /** The subscriptions, as this instance currently knows them. */
    public SubscriptionStore subscriptions() {
        AlertTopology.Built current = built;
        if (current == null) {
            throw new IllegalStateException("the alert matcher has not started");
        }
        return current.subscriptions();
    }

    /** Whether the subscription store is restored and following its topic. */
    public boolean ready() {
        KafkaStreams current = streams;
        if (current == null) {
            return false;
        }
        KafkaStreams.State state = current.state();
        return state == KafkaStreams.State.RUNNING || (wasRunning && state == KafkaStreams.State.REBALANCING);
    }

    /**
     * Embeddings this instance has taken from the topic but not yet matched (its tasks' buffers), or empty while
     * the matcher is not running or its tasks are being assigned. An embedding's offset commits when it is
     * buffered, before it is matched: zero here, after the offsets reached the topic's end, means every alert is
     * produced (visible to {@code read_committed} readers once the next transaction commits).
     */
    public java.util.OptionalLong unmatched() {
        KafkaStreams current = streams;
        if (current == null || current.state() != KafkaStreams.State.RUNNING) {
            return java.util.OptionalLong.empty();
        }
        try {
            return java.util.OptionalLong.of(current.store(org.apache.kafka.streams.StoreQueryParameters.fromNameAndType(
                    Topics.MATCH_BUFFER_STORE, org.apache.kafka.streams.state.QueryableStoreTypes.<String, byte[]>keyValueStore()))
                    .approximateNumEntries());
        } catch (org.apache.kafka.streams.errors.InvalidStateStoreException e) {
            return java.util.OptionalLong.empty(); // migrating or restoring: ask again
        }
    }

    public KafkaStreams.State state() {
        KafkaStreams current = streams;
        return current == null ? KafkaStreams.State.NOT_RUNNING : current.state();
    }

    private Properties streamsConfig() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
        // Kafka Streams appends each stream thread's index
        config.instanceId().map(String::strip).filter(id -> !id.isEmpty())
                .ifPresent(id -> props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, id));
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, query.bootstrapServers());
        props.put(StreamsConfig.STATE_DIR_CONFIG, query.stateDir());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, engine.streamsReplicationFactor());
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG), Topics.MAX_MESSAGE_BYTES);
        // the buffer is matched by a wall-clock punctuation, which runs between polls: an idle poll must not hold
        // it back for the default 100 ms
        props.put(StreamsConfig.POLL_MS_CONFIG, 5L);
        // alerts become visible to read_committed readers when their transaction commits
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 50L);
        return clients.config(props);
    }

    private void ensureTopics() {
        List<Topic<?, ?>> topics = List.of(Topics.QUERIES, Topics.ALERTS, Topics.FEEDBACK, Topics.DLQ,
                Topics.embeddings(engine.modelVersion()));
        try (Admin admin = Admin.create(clients.config(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                query.bootstrapServers())))) {
            short replicationFactor = TopicAdmin.replicationFactor(admin, engine.replicationFactor(), Duration.ofSeconds(30));
            new TopicAdmin(admin, replicationFactor, Duration.ofSeconds(30)).ensure(topics).mismatches().forEach(LOG::warn);
        } catch (RuntimeException e) {
            LOG.warnf("Could not check the alert topics at start-up: %s", e.getMessage());
        }
    }
}
