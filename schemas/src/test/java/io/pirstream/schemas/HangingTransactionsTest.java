package io.pirstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class HangingTransactionsTest {

    private static final TopicPartition PARTITION = new TopicPartition("pir.embeddings.v", 3);
    private static final Instant NOW = Instant.parse("2026-12-04T21:40:00Z");
    private static final Duration MIN_AGE = Duration.ofMinutes(1);

    /** As the soak found it: open on the partition, the coordinator done with it. */
    @Test
    void anOpenTransactionItsCoordinatorHasCompletedHangs() {
        ProducerState open = open(8000, NOW.minus(Duration.ofMinutes(10)));
        assertThat(HangingTransactions.isHanging(PARTITION, open, coordinator(8000, TransactionState.COMPLETE_COMMIT,
                Set.of()), MIN_AGE, NOW)).isTrue();
        assertThat(HangingTransactions.isHanging(PARTITION, open(8000, NOW.minus(Duration.ofMinutes(16))), null,
                MIN_AGE, NOW)).as("no coordinator description, open longer than any transaction may be").isTrue();
        assertThat(HangingTransactions.isHanging(PARTITION, open, coordinator(9000, TransactionState.ONGOING,
                Set.of(PARTITION)), MIN_AGE, NOW)).as("the transactional id now belongs to another producer").isTrue();
        assertThat(HangingTransactions.isHanging(PARTITION, open, coordinator(8000, TransactionState.ONGOING,
                Set.of(new TopicPartition("pir.chips", 0))), MIN_AGE, NOW))
                .as("ongoing, but not on this partition").isTrue();
    }

    @Test
    void aLiveOrRecentTransactionIsLeftAlone() {
        assertThat(HangingTransactions.isHanging(PARTITION, open(8000, NOW.minus(Duration.ofMinutes(10))),
                coordinator(8000, TransactionState.ONGOING, Set.of(PARTITION)), MIN_AGE, NOW))
                .as("ongoing on this partition, however long").isFalse();
        assertThat(HangingTransactions.isHanging(PARTITION, open(8000, NOW.minusSeconds(5)),
                coordinator(8000, TransactionState.COMPLETE_COMMIT, Set.of()), MIN_AGE, NOW))
                .as("written 5 s ago: the coordinator's view may lag").isFalse();
        assertThat(HangingTransactions.isHanging(PARTITION, open(8000, NOW.minus(Duration.ofMinutes(10))),
                coordinator(8000, TransactionState.PREPARE_COMMIT, Set.of(PARTITION)), MIN_AGE, NOW))
                .as("its coordinator is writing the markers").isFalse();
        assertThat(HangingTransactions.isHanging(PARTITION, open(8000, NOW.minus(Duration.ofMinutes(10))), null,
                MIN_AGE, NOW)).as("no coordinator description (expired or hidden by ACLs), within the bound").isFalse();
    }

    private static ProducerState open(long producerId, Instant lastWrite) {
        return new ProducerState(producerId, 363, 0, lastWrite.toEpochMilli(), OptionalInt.of(28), OptionalLong.of(362));
    }

    private static TransactionDescription coordinator(long producerId, TransactionState state,
                                                      Set<TopicPartition> partitions) {
        return new TransactionDescription(1, state, producerId, 363, 10_000, OptionalLong.empty(), partitions);
    }
}
