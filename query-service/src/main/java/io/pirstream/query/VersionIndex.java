package io.pirstream.query;

import io.pirstream.model.PirModel;
import io.pirstream.query.index.EmbeddingIndexTopology;
import io.pirstream.query.index.VectorIndex;
import io.pirstream.schemas.Topic;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.DeadLetter;
import io.pirstream.schemas.avro.Embedding;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.jboss.logging.Logger;

/**
 * The index of one model version: the model that encodes its queries, and a Kafka Streams global store over
 * {@code pir.embeddings.<version>} (read_committed: never a chip from an aborted transaction).
 */
final class VersionIndex implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(VersionIndex.class);

    private final String applicationId;
    private final PirModel model;
    private final Topic<String, Embedding> topic;
    private final int partitions;
    private final EmbeddingIndexTopology.Built built;
    private final KafkaStreams streams;

    /**
     * @param partitions partitions of the version's topic (all must report a lag of 0 before it counts as caught up)
     * @param indexed called with each embedding applied
     */
    VersionIndex(String applicationId, PirModel model, int partitions, Properties streamsConfig, Duration refreshInterval,
                 Consumer<DeadLetter> deadLetters, Consumer<Embedding> indexed) {
        this.applicationId = applicationId;
        this.model = model;
        this.topic = Topics.embeddings(model.version());
        this.partitions = partitions;
        this.built = EmbeddingIndexTopology.build(topic, model.dimension(), model.version(), refreshInterval, deadLetters,
                indexed, applicationId);
        Properties props = new Properties();
        props.putAll(streamsConfig);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.consumerPrefix("max.partition.fetch.bytes"), Topics.MAX_MESSAGE_BYTES);
        // the embeddings are written in transactions: the index must never hold a chip from an aborted one
        props.put(StreamsConfig.globalConsumerPrefix(ConsumerConfig.ISOLATION_LEVEL_CONFIG), "read_committed");
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.ISOLATION_LEVEL_CONFIG), "read_committed");
        this.streams = new KafkaStreams(built.topology(), props);
        streams.setStateListener((now, before) -> LOG.infof("Index %s: Streams state %s -> %s", applicationId, before, now));
        streams.start();
    }

    String applicationId() {
        return applicationId;
    }

    String version() {
        return model.version();
    }

    PirModel model() {
        return model;
    }

    Topic<String, Embedding> topic() {
        return topic;
    }

    KafkaStreams.State state() {
        return streams.state();
    }

    /** The searchable index; empty until the store has been opened. */
    Optional<VectorIndex> index() {
        return Optional.ofNullable(built.store().index());
    }

    int size() {
        return index().map(VectorIndex::size).orElse(0);
    }

    /**
     * Whether the store has applied everything committed to its topic: running, and the global consumer's lag is 0
     * on every partition (its position is past transaction markers and aborted records, which offsets alone are not).
     */
    boolean caughtUp() {
        if (streams.state() != KafkaStreams.State.RUNNING) {
            return false;
        }
        Map<Integer, Double> lag = new HashMap<>();
        for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
            MetricName name = e.getKey();
            if ("records-lag".equals(name.name()) && topic.name().equals(name.tags().get("topic"))
                    && name.tags().containsKey("partition")) {
                Object value = e.getValue().metricValue();
                if (value instanceof Double d && !d.isNaN()) {
                    lag.put(Integer.parseInt(name.tags().get("partition")), d);
                }
            }
        }
        return lag.size() >= partitions && lag.values().stream().allMatch(d -> d <= 0);
    }

    /** Stops the index; with {@code delete}, also removes its local copy (a retired or replayed version). */
    void close(boolean delete) {
        streams.close(Duration.ofSeconds(20));
        if (delete) {
            streams.cleanUp();
        }
        model.close();
    }

    @Override
    public void close() {
        close(false);
    }
}
