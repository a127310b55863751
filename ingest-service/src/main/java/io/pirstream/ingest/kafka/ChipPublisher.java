package io.pirstream.ingest.kafka;

import io.pirstream.ingest.IngestConfig;
import io.pirstream.schemas.Topic;
import io.pirstream.schemas.TopicAccess;
import io.pirstream.schemas.TopicAdmin;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.SceneManifest;
import io.pirstream.service.kafka.KafkaClients;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Writes the chips of one frame or scene to Kafka in a single transaction, with the scene's manifest (its chip ids,
 * on the scenes topic): read-committed readers see all of them or none. Transactional producers are pooled (one
 * transaction at a time each); a producer whose transaction failed is closed and replaced, since its state is unknown.
 *
 * <p>Transactional ids are stable per instance and pool slot ({@code pirstream-ingest-<instance id>-<slot>}): at
 * start-up every slot's producer is initialised, which fences the producers of this instance's previous run and
 * aborts the transactions they left open (a crash mid-scene). Until then those would hold back every
 * read_committed reader of the partitions they touched for up to {@code transaction-timeout}.
 */
@ApplicationScoped
public class ChipPublisher {

    private static final Logger LOG = Logger.getLogger(ChipPublisher.class);

    private final KafkaConfig config;
    private final KafkaClients clients;
    private final Topic<String, Chip> topic;
    private final SceneCatalog catalog;
    private final Topic<String, SceneManifest> scenes;
    private final String instanceId;
    private final BlockingQueue<Slot> pool;
    private final Admin admin;
    /** Whether every slot's producer was initialised once, which aborted what the previous run left open. */
    private volatile boolean previousRunFenced;

    /** A pool entry; {@code producer} is created lazily so the service starts while Kafka is down. */
    private final class Slot {
        private final String transactionalId;
        private KafkaProducer<String, byte[]> producer;

        Slot(int index) {
            this.transactionalId = TopicAccess.INGEST_TRANSACTIONAL_ID_PREFIX + instanceId + "-" + index;
        }

        KafkaProducer<String, byte[]> producer() {
            if (producer == null) {
                // values are serialised per topic by the transaction: chips and scene manifests share a producer
                KafkaProducer<String, byte[]> created = new KafkaProducer<>(producerConfig(transactionalId),
                        new StringSerializer(), new ByteArraySerializer());
                try {
                    created.initTransactions();
                } catch (KafkaException e) {
                    created.close(Duration.ZERO);
                    throw e;
                }
                producer = created;
            }
            return producer;
        }

        /** Closes the producer; a graceful close aborts its open transaction if Kafka answers within max-block. */
        void discard() {
            if (producer != null) {
                producer.close(config.maxBlock());
                producer = null;
            }
        }
    }

    public ChipPublisher(KafkaConfig config, KafkaClients clients, IngestConfig ingest, SceneCatalog catalog,
                         @ConfigProperty(name = "quarkus.http.port", defaultValue = "8080") int httpPort) {
        this.config = config;
        this.clients = clients;
        this.instanceId = ingest.instanceId().orElseGet(() -> hostName() + "-" + httpPort);
        if (!instanceId.matches("[A-Za-z0-9._-]{1,200}")) {
            throw new IllegalStateException("pirstream.ingest.instance-id must be 1..200 letters, digits, '.', '_' or"
                    + " '-'; got '" + instanceId + "'");
        }
        this.topic = Topics.CHIPS.withName(this.config.chipsTopic());
        this.catalog = catalog;
        this.scenes = catalog.topic();
        this.pool = new ArrayBlockingQueue<>(this.config.producers());
        for (int i = 0; i < this.config.producers(); i++) {
            pool.add(new Slot(i));
        }
        this.admin = Admin.create(clients.config(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                this.config.bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) this.config.maxBlock().toMillis(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) this.config.maxBlock().toMillis())));
    }

    void onStart(@Observes StartupEvent event) {
        LOG.infof("Transactional ids pirstream-ingest-%s-0..%d (pirstream.ingest.instance-id)", instanceId,
                config.producers() - 1);
        try {
            startUp();
        } catch (KafkaException e) {
            LOG.warnf("Could not check topics %s or initialise their writers at start-up (%s); readiness stays down"
                    + " until Kafka answers", topicNames(), e.getMessage());
        }
    }

    /**
     * Until the start-up attempt or a later one succeeded: Kafka was down when this instance started. The whole
     * start-up is retried, topics included: another service may have created the chips topic meanwhile, but only
     * ingest creates the scenes topic, without which every upload would fail.
     */
    @Scheduled(every = "2s", delayed = "2s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void retryStartUp() {
        if (!previousRunFenced) {
            try {
                startUp();
                LOG.infof("Kafka answers: topics %s checked, writers initialised", topicNames());
            } catch (RuntimeException e) { // Kafka still down, or every writer busy: next time
                LOG.debugf("Writers not initialised yet: %s", e.getMessage());
            }
        }
    }

    private void startUp() {
        if (config.ensureTopics()) {
            short replication = TopicAdmin.replicationFactor(admin, config.replicationFactor(), config.maxBlock());
            TopicAdmin.Report report = new TopicAdmin(admin, replication, config.maxBlock()).ensure(
                    List.of(topic, scenes));
            report.mismatches().forEach(LOG::warn);
        }
        fencePreviousRun();
    }

    /** Whether the transactions a previous run of this instance left open are known to be aborted. */
    public boolean previousRunFenced() {
        return previousRunFenced;
    }

    /**
     * Initialises every slot's producer now rather than at its first upload: initialising a transactional id aborts
     * whatever transaction a previous producer with that id left open, so a crash mid-upload holds back readers
     * only until this instance is back, not until the transaction times out.
     */
    private void fencePreviousRun() {
        for (int i = 0; i < config.producers(); i++) {
            Slot slot = takeSlot();
            try {
                slot.producer();
            } finally {
                pool.add(slot);
            }
        }
        previousRunFenced = true;
    }

    void onStop(@Observes ShutdownEvent event) {
        pool.forEach(Slot::discard);
        admin.close(Duration.ofSeconds(2));
    }

    /** The admin client shared with the health check. */
    public Admin admin() {
        return admin;
    }

    /** The topics every upload writes to: the chips topic and the scenes topic. */
    public List<String> topicNames() {
        return List.of(topic.name(), scenes.name());
    }

    /** How long a write waits for Kafka (and for a free writer). */
    public Duration maxBlock() {
        return config.maxBlock();
    }

    /**
     * Opens the transaction of one upload: send its chips one by one as they are made, then {@link
     * Transaction#commit}. Closing a transaction that was not committed aborts it.
     *
     * @throws WritersBusyException if every transactional producer stays busy for longer than the configured bound
     * @throws KafkaUnavailableException if Kafka does not answer within the configured bound
     */
    public Transaction begin() {
        Slot slot = takeSlot();
        try {
            slot.producer().beginTransaction();
            return new Transaction(slot);
        } catch (RuntimeException e) {
            slot.discard();
            pool.add(slot);
            throw unavailable(e);
        }
    }

    /**
     * The chips of one upload on their way into one Kafka transaction. Used by one thread; {@link #send} does not
     * wait for the broker, so chips are made while earlier ones are in flight, but it blocks (at most
     * {@code max-block}) when the producer's buffer is full, which bounds the memory an upload holds.
     */
    public final class Transaction implements AutoCloseable {

        private final Slot slot;
        private final AtomicReference<Exception> failure = new AtomicReference<>();
        /** What the send callbacks leave to do once the transaction is committed (the producer's thread adds). */
        private final Queue<Runnable> afterCommit = new ConcurrentLinkedQueue<>();
        private boolean finished;

        private Transaction(Slot slot) {
            this.slot = slot;
        }

        /** Sends one chip, keyed by its id. */
        public void send(Chip chip) {
            send(topic.name(), chip.getChipId(), topic.valueSerde().serializer().serialize(topic.name(), chip), null);
        }

        /** Sends a tombstone: downstream, the chip's embedding and index entry are deleted. */
        public void delete(String chipId) {
            send(topic.name(), chipId, null, null);
        }

        /**
         * Sends a scene's manifest, or its tombstone when {@code manifest} is null; once committed, the {@link
         * SceneCatalog} has it (with its offset), so a delete on this instance finds what this upload wrote.
         */
        public void sendManifest(String sceneId, SceneManifest manifest) {
            byte[] value = manifest == null ? null : scenes.valueSerde().serializer().serialize(scenes.name(), manifest);
            send(scenes.name(), sceneId, value, metadata -> afterCommit.add(
                    () -> catalog.applied(sceneId, manifest, metadata.partition(), metadata.offset())));
        }

        private void send(String topicName, String key, byte[] value, Consumer<RecordMetadata> sent) {
            if (failure.get() != null) {
                throw unavailable(failure.get()); // stop making chips for a transaction that cannot commit
            }
            try {
                slot.producer().send(new ProducerRecord<>(topicName, key, value), (metadata, error) -> {
                    if (error != null) {
                        failure.compareAndSet(null, error);
                    } else if (sent != null) {
                        sent.accept(metadata);
                    }
                });
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
                throw unavailable(e);
            }
        }

        /**
         * Commits every chip sent; afterwards read-committed readers see all of them.
         *
         * @throws KafkaUnavailableException if any chip or the commit failed; then none is visible
         */
        public void commit() {
            try {
                slot.producer().commitTransaction(); // flushes; throws if any send failed
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
                throw unavailable(e);
            }
            finished = true;
            afterCommit.forEach(Runnable::run);
        }

        /** Returns the producer to the pool, aborting the transaction unless it was committed. */
        @Override
        public void close() {
            try {
                if (!finished) {
                    abort();
                }
            } finally {
                pool.add(slot);
            }
        }

        private void abort() {
            if (failure.get() == null) {
                try {
                    slot.producer().abortTransaction(); // Kafka is fine (bad input, shutdown): keep the producer
                    return;
                } catch (RuntimeException e) {
                    LOG.debugf("Abort failed (%s); replacing the producer", e.getMessage());
                }
            }
            slot.discard(); // its state is unknown; a fresh producer with the same id fences whatever is left
        }
    }

    private KafkaUnavailableException unavailable(Exception e) {
        if (isRefused(e)) {
            // not a passing outage: the principal or its ACLs are wrong, and retrying will not help
            String message = "Kafka refused this service's principal for " + topic.name() + " (" + rootMessage(e)
                    + "): check its credentials (pirstream.kafka-client.sasl.*, PIRSTREAM_KAFKA_SASL_*) and ACLs (WRITE on the topic, WRITE on"
                    + " transactional ids " + TopicAccess.INGEST_TRANSACTIONAL_ID_PREFIX + "*); nothing was written";
            LOG.error(message);
            return new KafkaUnavailableException(message, e);
        }
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ProducerFencedException) {
                LOG.errorf("A producer with this instance's transactional id took over: is pirstream.ingest.instance-id"
                        + " '%s' used by another replica too? Each needs its own", instanceId);
                break;
            }
        }
        return new KafkaUnavailableException("Kafka did not accept the upload's chips for " + topic.name()
                + " within " + config.maxBlock() + " (" + rootMessage(e) + "); nothing was written", e);
    }

    private Slot takeSlot() {
        try {
            Slot slot = pool.poll(config.maxBlock().toMillis(), TimeUnit.MILLISECONDS);
            if (slot == null) {
                throw new WritersBusyException("All " + config.producers() + " Kafka writers"
                        + " (pirstream.kafka.producers) were busy with other uploads for " + config.maxBlock()
                        + "; Kafka itself is fine, retry shortly");
            }
            return slot;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaUnavailableException("Interrupted while waiting for a Kafka writer", e);
        }
    }

    private Map<String, Object> producerConfig(String transactionalId) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) config.maxBlock().toMillis());
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) config.transactionTimeout().toMillis());
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_MESSAGE_BYTES);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 1024 * 1024);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 128L * 1024 * 1024);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none"); // chips are already compressed images
        return clients.config(props);
    }

    private static boolean isRefused(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof AuthorizationException || t instanceof AuthenticationException) {
                return true;
            }
        }
        return false;
    }

    /** The host's name ({@code HOSTNAME} first: a Kubernetes pod's name), reduced to the characters an id allows. */
    private static String hostName() {
        String name = System.getenv("HOSTNAME");
        if (name == null || name.isBlank()) {
            try {
                name = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                name = "localhost";
            }
        }
        return name.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }
}
