package io.pirstream.ingest.kafka;

import io.pirstream.schemas.Topic;
import io.pirstream.schemas.TopicAccess;
import io.pirstream.schemas.TopicAdmin;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.service.kafka.KafkaClients;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.jboss.logging.Logger;

/**
 * Writes the chips of one frame or scene to Kafka in a single transaction: read-committed readers see all of
 * them or none. Transactional producers are pooled (one transaction at a time each); a producer whose
 * transaction failed is closed and replaced, since its state is unknown.
 */
@ApplicationScoped
public class ChipPublisher {

    private static final Logger LOG = Logger.getLogger(ChipPublisher.class);

    private final KafkaConfig config;
    private final KafkaClients clients;
    private final Topic<String, Chip> topic;
    private final String instanceId = UUID.randomUUID().toString();
    private final BlockingQueue<Slot> pool;
    private final Admin admin;

    /** A pool entry; {@code producer} is created lazily so the service starts while Kafka is down. */
    private final class Slot {
        private final String transactionalId;
        private KafkaProducer<String, Chip> producer;

        Slot(int index) {
            this.transactionalId = TopicAccess.INGEST_TRANSACTIONAL_ID_PREFIX + instanceId + "-" + index;
        }

        KafkaProducer<String, Chip> producer() {
            if (producer == null) {
                KafkaProducer<String, Chip> created = new KafkaProducer<>(producerConfig(transactionalId),
                        topic.keySerde().serializer(), topic.valueSerde().serializer());
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

        void discard() {
            if (producer != null) {
                producer.close(Duration.ZERO);
                producer = null;
            }
        }
    }

    public ChipPublisher(KafkaConfig config, KafkaClients clients) {
        this.config = config;
        this.clients = clients;
        this.topic = Topics.CHIPS.withName(this.config.chipsTopic());
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
        if (!config.ensureTopics()) {
            return;
        }
        try {
            TopicAdmin.Report report = new TopicAdmin(admin, config.replicationFactor(), config.maxBlock())
                    .ensure(List.of(topic));
            report.mismatches().forEach(LOG::warn);
        } catch (KafkaException e) {
            LOG.warnf("Could not check topic %s at start-up (%s); readiness stays down until Kafka answers",
                    topic.name(), e.getMessage());
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        pool.forEach(Slot::discard);
        admin.close(Duration.ofSeconds(2));
    }

    /** The admin client shared with the health check. */
    public Admin admin() {
        return admin;
    }

    public String topicName() {
        return topic.name();
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
        private boolean finished;

        private Transaction(Slot slot) {
            this.slot = slot;
        }

        /** Sends one chip, keyed by its id. */
        public void send(Chip chip) {
            send(chip.getChipId(), chip);
        }

        /** Sends a tombstone: downstream, the chip's embedding and index entry are deleted. */
        public void delete(String chipId) {
            send(chipId, null);
        }

        private void send(String chipId, Chip chip) {
            if (failure.get() != null) {
                throw unavailable(failure.get()); // stop making chips for a transaction that cannot commit
            }
            try {
                slot.producer().send(new ProducerRecord<>(topic.name(), chipId, chip), (metadata, error) -> {
                    if (error != null) {
                        failure.compareAndSet(null, error);
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
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 300_000);
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

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }
}
