package io.pirstream.query;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.pirstream.model.PirModel;
import io.pirstream.query.index.EmbeddingIndexTopology;
import io.pirstream.query.index.Hit;
import io.pirstream.query.index.SearchFilters;
import io.pirstream.query.index.VectorIndex;
import io.pirstream.query.index.VectorStore;
import io.pirstream.schemas.Topic;
import io.pirstream.schemas.TopicAdmin;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.DeadLetter;
import io.pirstream.schemas.avro.Embedding;
import io.pirstream.service.kafka.KafkaClients;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
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
 * Owns the model that encodes queries, the Kafka Streams instance that keeps the vector store current, and the
 * dead-letter producer. Searches are answered only while the store is fully restored and current (Streams
 * RUNNING); otherwise callers get {@link NotReady} with the reason.
 */
@ApplicationScoped
public class SearchEngine {

    private static final Logger LOG = Logger.getLogger(SearchEngine.class);

    /** The store cannot answer yet (restoring, rebalancing, stopped). */
    public static final class NotReady extends RuntimeException {
        NotReady(String message) {
            super(message);
        }
    }

    private final QueryConfig config;
    private final KafkaClients clients;
    private final MeterRegistry metrics;
    private final IndexEvents events;
    private PirModel model;
    private KafkaStreams streams;
    private EmbeddingIndexTopology.Built built;
    private KafkaProducer<byte[], DeadLetter> deadLetters;
    private Topic<String, Embedding> embeddings;
    private volatile short replicationFactor;

    public SearchEngine(QueryConfig config, KafkaClients clients, MeterRegistry metrics, IndexEvents events) {
        this.config = config;
        this.clients = clients;
        this.metrics = metrics;
        this.events = events;
        this.replicationFactor = config.replicationFactor();
    }

    void onStart(@Observes StartupEvent event) {
        model = config.checkpoint().map(dir -> PirModel.load(Path.of(dir))).orElseGet(PirModel::loadDefault);
        embeddings = Topics.embeddings(model.version());
        LOG.infof("Query model %s (%d dimensions); index fed by %s", model.version(), model.dimension(),
                embeddings.name());
        try (Admin admin = Admin.create(clients.config(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                config.bootstrapServers())))) {
            replicationFactor = TopicAdmin.replicationFactor(admin, config.replicationFactor(), Duration.ofSeconds(30));
            new TopicAdmin(admin, replicationFactor, Duration.ofSeconds(30)).ensure(List.of(embeddings, Topics.DLQ))
                    .mismatches().forEach(LOG::warn);
        } catch (RuntimeException e) {
            LOG.warnf("Could not check topics at start-up: %s", e.getMessage());
        }
        deadLetters = new KafkaProducer<>(clients.config(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                config.bootstrapServers(), ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all")),
                Topics.DLQ.keySerde().serializer(), Topics.DLQ.valueSerde().serializer());
        Timer freshness = Timer.builder("pirstream.query.freshness")
                .description("Embedding emitted -> applied to the index (searchable within refresh-interval more)")
                .publishPercentiles(0.5, 0.99).register(metrics);
        built = EmbeddingIndexTopology.build(embeddings, model.dimension(), model.version(), config.refreshInterval(),
                this::publishDeadLetter, indexed -> {
                    freshness.record(Duration.between(indexed.getEmbeddedAt(), java.time.Instant.now()).abs());
                    events.publish(indexed);
                },
                config.applicationId());
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir());
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, streamsReplicationFactor());
        props.put(StreamsConfig.consumerPrefix("max.partition.fetch.bytes"), Topics.MAX_MESSAGE_BYTES);
        // the embeddings are written in transactions: the index must never hold a chip from an aborted one
        props.put(StreamsConfig.globalConsumerPrefix(ConsumerConfig.ISOLATION_LEVEL_CONFIG), "read_committed");
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.ISOLATION_LEVEL_CONFIG), "read_committed");
        VectorStore.discardIfStale(Path.of(config.stateDir()), config.applicationId(), Instant.now(),
                VectorStore.MAX_OFFLINE).ifPresent(LOG::warn);
        streams = new KafkaStreams(built.topology(), clients.config(props));
        streams.setStateListener((now, before) -> LOG.infof("Streams state %s -> %s", before, now));
        streams.start();
        Gauge.builder("pirstream.query.index.size", this, engine -> engine.indexSize().orElse(-1))
                .description("Chips searchable").register(metrics);
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

    void onStop(@Observes ShutdownEvent event) {
        if (streams != null) {
            streams.close(Duration.ofSeconds(20));
        }
        if (deadLetters != null) {
            deadLetters.close(Duration.ofSeconds(5));
        }
        if (model != null) {
            model.close();
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

    public String modelVersion() {
        return model.version();
    }

    public KafkaStreams.State state() {
        return streams == null ? KafkaStreams.State.CREATED : streams.state();
    }

    public Optional<Integer> indexSize() {
        VectorIndex index = built == null ? null : built.store().index();
        return index == null ? Optional.empty() : Optional.of(index.size());
    }

    /** Length of the model's vectors. */
    public int dimension() {
        return model.dimension();
    }

    /** The query text's unit vector by the index's model (what standing queries are matched with). */
    public float[] embedText(String text) {
        return model.embedTexts(List.of(text))[0];
    }

    public int maxK() {
        return config.maxK();
    }

    public int maxTextLength() {
        return config.maxTextLength();
    }

    /** Text-to-image search. */
    public List<Hit> search(String text, int k, SearchFilters filters) {
        VectorIndex index = readyIndex();
        float[] query = model.embedTexts(List.of(text))[0];
        return index.search(query, k, filters);
    }

    /** Image-to-image search from an indexed chip; the chip itself is left out. */
    public Optional<List<Hit>> similar(String chipId, int k, SearchFilters filters) {
        VectorIndex index = readyIndex();
        return index.get(chipId).map(chip -> {
            float[] vector = new float[chip.getVector().size()];
            for (int i = 0; i < vector.length; i++) {
                vector[i] = chip.getVector().get(i);
            }
            return index.search(vector, k + 1, filters).stream()
                    .filter(hit -> !hit.embedding().getChipId().equals(chipId)).limit(k).toList();
        });
    }

    public Optional<Embedding> chip(String chipId) {
        return readyIndex().get(chipId);
    }

    private VectorIndex readyIndex() {
        KafkaStreams.State state = state();
        VectorIndex index = built == null ? null : built.store().index();
        if (state != KafkaStreams.State.RUNNING || index == null) {
            throw new NotReady("The vector store is not ready (Kafka Streams state " + state
                    + "): it is restoring from " + (embeddings == null ? "its topic" : embeddings.name())
                    + " or Kafka is unreachable; retry shortly");
        }
        return index;
    }
}
