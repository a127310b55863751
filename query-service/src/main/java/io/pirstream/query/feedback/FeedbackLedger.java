package io.pirstream.query.feedback;

import io.pirstream.query.QueryConfig;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Feedback;
import io.pirstream.service.kafka.KafkaClients;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * Records relevance judgements on {@code pir.feedback}, each (user, query, chip) once. The feedback id is a hash of
 * the user, the normalised query text (trimmed, lower case, single spaces) and the chip id, so a repeated judgement has
 * the id of the first; the ledger knows every id already on the topic (it reads the topic from its start at start-up
 * and follows it) and refuses to write one twice. Two instances taking the same judgement in the same instant could
 * both write it; the deterministic id lets the fine-tune job drop that copy.
 */
@ApplicationScoped
public class FeedbackLedger {

    private static final Logger LOG = Logger.getLogger(FeedbackLedger.class);
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(10);

    /** The judgement as recorded, and whether this call was a repeat of an earlier one. */
    public record Outcome(Feedback feedback, boolean duplicate) {
    }

    /** The same user judged the same query and chip the other way before. */
    public static final class Conflict extends RuntimeException {
        Conflict(String message) {
            super(message);
        }
    }

    /** Not caught up with the topic yet, or Kafka is unreachable. */
    public static final class NotReady extends RuntimeException {
        NotReady(String message) {
            super(message);
        }
    }

    private final QueryConfig config;
    private final KafkaClients clients;
    private final Map<String, Feedback> recorded = new ConcurrentHashMap<>();
    /** Judgements of one id are taken one at a time: striped locks, by the id's hash. */
    private final Object[] stripes = new Object[64];
    private volatile boolean caughtUp;
    private volatile boolean running;
    private KafkaProducer<String, Feedback> producer;
    private KafkaConsumer<String, byte[]> consumer;
    private Thread follower;

    public FeedbackLedger(QueryConfig config, KafkaClients clients) {
        this.config = config;
        this.clients = clients;
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new Object();
        }
    }

    void onStart(@Observes StartupEvent event) {
        producer = new KafkaProducer<>(clients.config(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                config.bootstrapServers(), ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.ACKS_CONFIG,
                "all", ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000)), Topics.FEEDBACK.keySerde().serializer(),
                Topics.FEEDBACK.valueSerde().serializer());
        consumer = new KafkaConsumer<>(clients.config(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                config.bootstrapServers(), ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false)),
                new StringDeserializer(), new ByteArrayDeserializer());
        running = true;
        follower = new Thread(this::follow, "feedback-ledger");
        follower.setDaemon(true);
        follower.start();
    }

    void onStop(@Observes ShutdownEvent event) {
        running = false;
        if (consumer != null) {
            consumer.wakeup();
        }
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
    }

    /** The id of a judgement: who, what they searched for, which chip. */
    public static String feedbackId(String user, String queryText, String chipId) {
        String normalised = queryText.strip().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : List.of(user, normalised, chipId)) {
                sha.update(part.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0); // separator: ("ab", "c") and ("a", "bc") differ
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * Records a judgement unless the same user already judged the same query and chip.
     *
     * @throws Conflict if that earlier judgement was the opposite
     */
    public Outcome record(String user, String queryText, String chipId, boolean relevant, String modelVersion) {
        if (!caughtUp) {
            throw new NotReady("Feedback is not ready: still reading what " + Topics.FEEDBACK.name()
                    + " already holds, or Kafka is unreachable; retry shortly");
        }
        String id = feedbackId(user, queryText, chipId);
        synchronized (stripes[Math.floorMod(id.hashCode(), stripes.length)]) {
            try {
                Feedback earlier = recorded.get(id);
                if (earlier != null) {
                    if (earlier.getRelevant() != relevant) {
                        throw new Conflict("You marked chip " + chipId + " as " + (earlier.getRelevant() ? "relevant"
                                : "not relevant") + " for this query at " + earlier.getAt() + "; a judgement is"
                                + " recorded once and not changed");
                    }
                    return new Outcome(earlier, true);
                }
                Feedback feedback = Feedback.newBuilder().setFeedbackId(id).setQueryText(queryText.strip())
                        .setChipId(chipId).setRelevant(relevant).setModelVersion(modelVersion).setUser(user)
                        .setAt(Instant.now()).build();
                producer.send(new ProducerRecord<>(Topics.FEEDBACK.name(), chipId, feedback))
                        .get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                recorded.put(id, feedback);
                return new Outcome(feedback, false);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new NotReady("interrupted while writing to " + Topics.FEEDBACK.name());
            } catch (ExecutionException | TimeoutException | org.apache.kafka.common.KafkaException e) {
                throw new NotReady("Kafka did not take the feedback within " + SEND_TIMEOUT + " (" + e.getMessage()
                        + "); nothing was recorded, retry shortly");
            }
        }
    }

    /** Reads the topic from its start, then follows it: every id recorded by any instance. */
    private void follow() {
        try {
            List<TopicPartition> partitions = List.of();
            while (running && partitions.isEmpty()) {
                partitions = consumer.partitionsFor(Topics.FEEDBACK.name(), Duration.ofSeconds(10)).stream()
                        .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            while (running) {
                consumer.poll(Duration.ofMillis(500)).forEach(record -> {
                    try {
                        Feedback feedback = Topics.FEEDBACK.valueSerde().deserializer().deserialize(record.topic(), record.value());
                        if (feedback != null) {
                            recorded.putIfAbsent(feedback.getFeedbackId(), feedback);
                        }
                    } catch (RuntimeException e) {
                        LOG.warnf("Unreadable record at %s-%d@%d skipped: %s", record.topic(), record.partition(),
                                record.offset(), e.getMessage());
                    }
                });
                if (!caughtUp && ends.entrySet().stream().allMatch(end -> consumer.position(end.getKey()) >= end.getValue())) {
                    caughtUp = true;
                    LOG.infof("Feedback ledger caught up: %d judgements recorded so far", recorded.size());
                }
            }
        } catch (WakeupException e) {
            // shutting down
        } catch (RuntimeException e) {
            LOG.error("The feedback ledger stopped following " + Topics.FEEDBACK.name() + "; feedback is refused until"
                    + " a restart", e);
            caughtUp = false;
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }
}
