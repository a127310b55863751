package io.pirstream.schemas;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates missing topics with their contract configuration and reports existing topics that differ from
 * it. Idempotent: running it again against the same cluster creates nothing and reports the same.
 *
 * <p>It also holds the one replication policy of every service ({@code pirstream.kafka.replication-factor}): the
 * same factor for the contract topics, for Kafka Streams' internal topics ({@code replication.factor}) and as the
 * factor existing topics are checked against. {@link #AUTO_REPLICATION} (the default) means
 * {@code min(3, brokers)}.
 */
public final class TopicAdmin {

    private static final Logger LOG = LoggerFactory.getLogger(TopicAdmin.class);

    /** Configured replication factor meaning "as many replicas as brokers, at most {@value #MAX_AUTO_REPLICAS}". */
    public static final short AUTO_REPLICATION = 0;
    /** Most replicas {@link #AUTO_REPLICATION} asks for. */
    public static final int MAX_AUTO_REPLICAS = 3;

    private final Admin admin;
    private final short replicationFactor;
    private final Duration timeout;

    /**
     * @param admin a connected admin client (not closed by this class)
     * @param replicationFactor replication factor for new topics; {@code min.insync.replicas} becomes
     *     {@code replicationFactor - 1} (at least 1), so one broker may be down without stopping writes
     * @param timeout bound on each admin call
     */
    public TopicAdmin(Admin admin, short replicationFactor, Duration timeout) {
        this.admin = admin;
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("replicationFactor must be >= 1, got " + replicationFactor);
        }
        this.replicationFactor = replicationFactor;
        this.timeout = timeout;
    }

    /**
     * Resolves the configured replication factor: {@link #AUTO_REPLICATION} becomes {@code min(3, brokers)}, any
     * other value is used as it is (a topic cannot be created with more replicas than brokers: Kafka says so).
     *
     * @throws IllegalArgumentException if {@code configured} is negative
     * @throws KafkaException if {@code AUTO_REPLICATION} is asked for and the cluster does not answer in time
     */
    public static short replicationFactor(Admin admin, short configured, Duration timeout) {
        if (configured < 0) {
            throw new IllegalArgumentException("pirstream.kafka.replication-factor must be >= 1, or 0 for min("
                    + MAX_AUTO_REPLICAS + ", brokers); got " + configured);
        }
        if (configured != AUTO_REPLICATION) {
            return configured;
        }
        int brokers = new TopicAdmin(admin, (short) 1, timeout).await(admin.describeCluster().nodes(),
                "count the brokers").size();
        return (short) Math.max(1, Math.min(MAX_AUTO_REPLICAS, brokers));
    }

    /** The replication factor this instance creates topics with and checks them against. */
    public short replicationFactor() {
        return replicationFactor;
    }

    /** What {@link #ensure} found and did. */
    public record Report(List<String> created, List<String> unchanged, List<String> mismatches) {
        public boolean consistent() {
            return mismatches.isEmpty();
        }
    }

    /** Every config the given topic is created with, including the replication-derived ones. */
    public Map<String, String> configsFor(Topic<?, ?> topic) {
        Map<String, String> configs = new LinkedHashMap<>(topic.configs());
        configs.put("min.insync.replicas", String.valueOf(Math.max(1, replicationFactor - 1)));
        return configs;
    }

    /**
     * Creates every missing topic and compares existing ones (partition count and each contract config) with
     * the contract. Mismatches are logged as warnings and returned, never silently ignored; the caller decides
     * whether they are fatal.
     *
     * @throws KafkaException if the cluster cannot be reached within the timeout
     */
    public Report ensure(Collection<? extends Topic<?, ?>> topics) {
        Map<String, Topic<?, ?>> byName = new LinkedHashMap<>();
        topics.forEach(topic -> byName.put(topic.name(), topic));
        Set<String> existing = await(admin.listTopics().names(), "list topics");

        List<String> created = new ArrayList<>();
        List<String> toCompare = new ArrayList<>();
        for (Topic<?, ?> topic : byName.values()) {
            if (existing.contains(topic.name())) {
                toCompare.add(topic.name());
                continue;
            }
            NewTopic newTopic = new NewTopic(topic.name(), topic.partitions(), replicationFactor)
                    .configs(configsFor(topic));
            try {
                await(admin.createTopics(List.of(newTopic)).all(), "create topic " + topic.name());
                created.add(topic.name());
                LOG.info("Created topic {} ({} partitions, {})", topic.name(), topic.partitions(), configsFor(topic));
            } catch (KafkaException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
                toCompare.add(topic.name()); // another instance created it first
            }
        }

        List<String> mismatches = new ArrayList<>();
        List<String> unchanged = new ArrayList<>();
        if (!toCompare.isEmpty()) {
            Map<String, TopicDescription> descriptions = describeWhenVisible(toCompare);
            Map<ConfigResource, Config> configs = await(admin.describeConfigs(toCompare.stream()
                    .map(name -> new ConfigResource(ConfigResource.Type.TOPIC, name)).toList()).all(),
                    "describe topic configs");
            for (String name : toCompare) {
                List<String> differences = differences(byName.get(name), descriptions.get(name),
                        configs.get(new ConfigResource(ConfigResource.Type.TOPIC, name)));
                if (differences.isEmpty()) {
                    unchanged.add(name);
                } else {
                    String message = "Topic " + name + " differs from its contract: " + String.join("; ", differences);
                    LOG.warn(message);
                    mismatches.add(message);
                }
            }
        }
        return new Report(List.copyOf(created), List.copyOf(unchanged), List.copyOf(mismatches));
    }

    /** Describes topics, waiting (within the timeout) for ones just created to appear in the broker's metadata. */
    private Map<String, TopicDescription> describeWhenVisible(List<String> names) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                return await(admin.describeTopics(names).allTopicNames(), "describe topics");
            } catch (KafkaException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new KafkaException("Interrupted while waiting for topics " + names, interrupted);
                }
            }
        }
    }

    private List<String> differences(Topic<?, ?> topic, TopicDescription description, Config actual) {
        List<String> differences = new ArrayList<>();
        int partitions = description.partitions().size();
        if (partitions != topic.partitions()) {
            differences.add("partitions " + partitions + " (contract: " + topic.partitions() + ")");
        }
        description.partitions().stream().mapToInt(p -> p.replicas().size()).filter(r -> r != replicationFactor)
                .min().ifPresent(replicas -> differences.add("replication factor " + replicas
                        + " (pirstream.kafka.replication-factor: " + replicationFactor + ")"));
        Map<String, String> actualValues = new HashMap<>();
        if (actual != null) {
            actual.entries().forEach((ConfigEntry entry) -> actualValues.put(entry.name(), entry.value()));
        }
        // min.insync.replicas depends on the deployment's replication, so only the contract's own configs are compared
        topic.configs().forEach((key, expected) -> {
            String value = actualValues.get(key);
            if (!expected.equals(value)) {
                differences.add(key + "=" + value + " (contract: " + expected + ")");
            }
        });
        return differences;
    }

    private <T> T await(org.apache.kafka.common.KafkaFuture<T> future, String what) {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("Interrupted while trying to " + what, e);
        } catch (ExecutionException e) {
            throw new KafkaException("Cannot " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new KafkaException("Cannot " + what + ": no answer from Kafka within " + timeout, e);
        }
    }
}
