package io.pirstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

class StreamThreadRecoveryTest {

    private static final class Manual extends Clock {
        long millis;

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }
    }

    @Test
    void replacesDeadThreadsUntilTheyKeepDyingThenShutsDownForARestart() {
        Manual clock = new Manual();
        StreamThreadRecovery recovery = new StreamThreadRecovery(2, Duration.ofMinutes(5), clock);
        RuntimeException e = new IllegalStateException("boom");
        assertThat(recovery.handle(e)).as("first death").isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
        assertThat(recovery.handle(e)).as("second death").isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
        assertThat(recovery.handle(e)).as("third within the window").isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
        clock.millis += Duration.ofMinutes(6).toMillis();
        assertThat(recovery.handle(e)).as("after a quiet window").isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    }
}
