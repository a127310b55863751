package io.pirstream.query.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

class StreamsLivenessCheckTest {

    @Test
    void onlyAFailedClientMakesTheServiceDead() {
        for (KafkaStreams.State state : KafkaStreams.State.values()) {
            boolean failed = state == KafkaStreams.State.ERROR || state == KafkaStreams.State.PENDING_ERROR;
            assertThat(StreamsLivenessCheck.failed(state)).as(state.name()).isEqualTo(failed);
        }
    }
}
