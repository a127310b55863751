package io.pirstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KafkaStreams.State;
import org.junit.jupiter.api.Test;

class RebalanceWatchdogTest {

    private Instant now = Instant.parse("2026-12-04T21:00:00Z");
    private final Clock clock = new Clock() {
        @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(java.time.ZoneId zone) { return this; }
        @Override public Instant instant() { return now; }
    };

    @Test
    void aClientRebalancingPastTheLimitIsStuckUntilItRunsAgain() {
        RebalanceWatchdog watchdog = new RebalanceWatchdog(Duration.ofMinutes(5), clock);
        watchdog.onChange(State.REBALANCING);
        now = now.plus(Duration.ofMinutes(5));
        assertThat(watchdog.stuckFor()).as("at the limit").isEmpty();
        // further REBALANCING transitions (a thread replaced, another rebalance) do not restart the count
        watchdog.onChange(State.REBALANCING);
        now = now.plusSeconds(1);
        assertThat(watchdog.stuckFor()).as("past the limit").contains(Duration.ofMinutes(5).plusSeconds(1));

        watchdog.onChange(State.RUNNING);
        assertThat(watchdog.stuckFor()).as("running again").isEmpty();
        watchdog.onChange(State.REBALANCING);
        now = now.plus(Duration.ofMinutes(4));
        assertThat(watchdog.stuckFor()).as("a new rebalance counts from its own start").isEmpty();
    }

    @Test
    void aStuckClientGetsTheRemedyThenTheLimitAgainOrIsGivenUp() {
        RebalanceWatchdog watchdog = new RebalanceWatchdog(Duration.ofMinutes(5), clock);
        List<String> remedies = new ArrayList<>();
        watchdog.onChange(State.REBALANCING);
        assertThat(watchdog.check(() -> { remedies.add("called"); return List.of(); })).as("within the limit")
                .isEqualTo(RebalanceWatchdog.Verdict.FINE);
        assertThat(remedies).as("no remedy within the limit").isEmpty();

        now = now.plus(Duration.ofMinutes(6));
        assertThat(watchdog.check(() -> List.of("aborted a hanging transaction"))).as("past it, remedied")
                .isEqualTo(RebalanceWatchdog.Verdict.REMEDIED);
        assertThat(watchdog.stuckFor()).as("the whole limit again after a remedy").isEmpty();

        now = now.plus(Duration.ofMinutes(6));
        assertThat(watchdog.check(List::of)).as("past it again, nothing to remedy").isEqualTo(RebalanceWatchdog.Verdict.STUCK);
        watchdog.onChange(State.RUNNING);
        assertThat(watchdog.check(List::of)).as("running").isEqualTo(RebalanceWatchdog.Verdict.FINE);
    }

    @Test
    void otherStatesAreNotItsConcern() {
        RebalanceWatchdog watchdog = new RebalanceWatchdog(Duration.ofSeconds(10), clock);
        for (State state : new State[] {State.CREATED, State.RUNNING, State.PENDING_ERROR, State.ERROR}) {
            watchdog.onChange(state);
            now = now.plus(Duration.ofHours(1));
            assertThat(watchdog.stuckFor()).as(state.name()).isEmpty();
        }
        assertThatThrownBy(() -> new RebalanceWatchdog(Duration.ZERO, clock))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be positive");
    }
}
