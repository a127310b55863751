package io.pirstream.schemas;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.TopicPartition;

/**
 * Hanging transactions: a partition that still has a producer's transaction open while that producer's transaction
 * coordinator no longer has it ongoing there. No commit or abort marker will ever come, so the partition's last stable
 * offset stops and every {@code read_committed} reader of it (a Kafka Streams restore included) waits for good.
 *
 * <p>The fault soak met one (RELIABILITY.md): after the broker was paused for 50 s, one partition of the embeddings
 * topic and of the embedder's changelogs kept an open transaction of a producer whose coordinator said
 * {@code CompleteCommit}; the embed-processor stayed in {@code REBALANCING}, and so did a new process. Aborting it (what
 * Kafka's {@code kafka-transactions.sh find-hanging} and {@code abort} do by hand) freed the readers at once. An abort
 * is safe for exactly-once either way: records of an aborted transaction are never visible to {@code read_committed}
 * readers, and a producer whose live transaction were aborted would fail its commit and redo the work.
 */
public final class HangingTransactions {

    /** The broker default of {@code transaction.max.timeout.ms}: a coordinator aborts any transaction open longer. */
    static final Duration MAX_TRANSACTION_TIMEOUT = Duration.ofMinutes(15);

    private HangingTransactions() {
    }

    private static Duration quiet(ProducerState open, Instant now) {
        return Duration.between(Instant.ofEpochMilli(open.lastTimestamp()), now);
    }

    /**
     * The hanging transactions on {@code partitions} whose producer last wrote there more than {@code minAge} before
     * {@code now} (so that a transaction between its first write and its coordinator's bookkeeping is left alone).
     */
    public static List<AbortTransactionSpec> find(Admin admin, Collection<TopicPartition> partitions, Duration minAge,
                                                  Instant now) throws ExecutionException, InterruptedException {
        Map<TopicPartition, List<ProducerState>> open = new HashMap<>();
        Set<Long> producerIds = new HashSet<>();
        admin.describeProducers(partitions).all().get().forEach((partition, described) -> described.activeProducers()
                .stream().filter(p -> p.currentTransactionStartOffset().isPresent()).forEach(p -> {
                    open.computeIfAbsent(partition, tp -> new ArrayList<>()).add(p);
                    producerIds.add(p.producerId());
                }));
        if (open.isEmpty()) {
            return List.of();
        }
        Map<Long, TransactionDescription> coordinators = new HashMap<>();
        Collection<TransactionListing> listings = admin.listTransactions(new ListTransactionsOptions()
                .filterProducerIds(producerIds)).all().get();
        if (!listings.isEmpty()) {
            admin.describeTransactions(listings.stream().map(TransactionListing::transactionalId).toList()).all().get()
                    .values().forEach(d -> coordinators.put(d.producerId(), d));
        }
        List<AbortTransactionSpec> hanging = new ArrayList<>();
        open.forEach((partition, producers) -> producers.stream()
                .filter(p -> isHanging(partition, p, coordinators.get(p.producerId()), minAge, now))
                .forEach(p -> hanging.add(new AbortTransactionSpec(partition, p.producerId(), (short) p.producerEpoch(),
                        p.coordinatorEpoch().orElse(-1)))));
        return hanging;
    }

    /** Aborts what {@link #find} returns on every partition of {@code topics}; returns what it aborted. */
    public static List<AbortTransactionSpec> abortAll(Admin admin, Collection<String> topics, Duration minAge,
                                                      Instant now) throws ExecutionException, InterruptedException {
        List<TopicPartition> partitions = new ArrayList<>();
        admin.describeTopics(topics).allTopicNames().get().forEach((topic, description) -> description.partitions()
                .forEach(p -> partitions.add(new TopicPartition(topic, p.partition()))));
        List<AbortTransactionSpec> hanging = find(admin, partitions, minAge, now);
        for (AbortTransactionSpec spec : hanging) {
            admin.abortTransaction(spec).all().get();
        }
        return hanging;
    }

    /**
     * Aborts the hanging transactions that can hold back a Kafka Streams client: on {@code topics} (what it reads and
     * writes) and on its own internal topics (changelogs and repartition topics, named after {@code applicationId}).
     */
    public static List<AbortTransactionSpec> abortForClient(Admin admin, String applicationId, Collection<String> topics,
                                                            Duration minAge, Instant now)
            throws ExecutionException, InterruptedException {
        List<String> all = new ArrayList<>(topics);
        admin.listTopics().names().get().stream().filter(t -> t.startsWith(applicationId + "-")).forEach(all::add);
        return abortAll(admin, all, minAge, now);
    }

    /**
     * An open transaction on {@code partition} hangs when its coordinator neither has it ongoing there nor is writing
     * its markers, and it has been quiet for {@code minAge}; or, where no coordinator description could be read
     * ({@code coordinator} null: expired, or hidden by ACLs), when it has been quiet for longer than any transaction
     * may last.
     */
    static boolean isHanging(TopicPartition partition, ProducerState open, TransactionDescription coordinator,
                             Duration minAge, Instant now) {
        if (quiet(open, now).compareTo(minAge) < 0) {
            return false;
        }
        if (coordinator == null) {
            // expired, or not ours to see (ACLs): only Kafka's own bound tells, no transaction outlives it
            return quiet(open, now).compareTo(MAX_TRANSACTION_TIMEOUT) >= 0;
        }
        if (coordinator.producerId() != open.producerId()) {
            return true;
        }
        return switch (coordinator.state()) {
            // writing its markers now: they will reach the partition
            case PREPARE_COMMIT, PREPARE_ABORT, PREPARE_EPOCH_FENCE -> false;
            case ONGOING -> !coordinator.topicPartitions().contains(partition);
            default -> true;
        };
    }
}
