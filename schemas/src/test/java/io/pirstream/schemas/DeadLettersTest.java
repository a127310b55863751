package io.pirstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.schemas.avro.DeadLetter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class DeadLettersTest {

    private static final Instant AT = Instant.parse("2026-11-01T00:00:00Z");

    @Test
    void keepsTheOriginalBytesAndTheCauseChain() {
        DeadLetter letter = DeadLetters.of("pir.chips", 2, 41, "k".getBytes(StandardCharsets.UTF_8),
                "v".getBytes(StandardCharsets.UTF_8), "embed",
                new IllegalArgumentException("outer", new IllegalStateException("inner")), AT);
        assertThat(letter.getOriginalValue().remaining()).as("value kept").isOne();
        assertThat(letter.getErrorMessage()).as("cause chain").isEqualTo("outer <- IllegalStateException: inner");
        assertThat(letter.getErrorClass()).as("error class").isEqualTo(IllegalArgumentException.class.getName());
    }

    @Test
    void aRecordAtTheSizeLimitGivesADeadLetterTheTopicStillTakes() {
        byte[] huge = new byte[Topics.MAX_MESSAGE_BYTES - 100];
        DeadLetter letter = DeadLetters.of("pir.chips", 3, 7, "chip".getBytes(StandardCharsets.UTF_8), huge, "embed",
                new IllegalArgumentException("not a chip"), AT);

        byte[] encoded = Topics.DLQ.valueSerde().serializer().serialize(Topics.DLQ.name(), letter);
        assertThat(encoded.length).as("encoded dead letter within the topic's limit")
                .isLessThan(Topics.MAX_MESSAGE_BYTES);
        assertThat(letter.getOriginalValue()).as("value left out").isNull();
        assertThat(letter.getErrorMessage()).as("says where the original is").contains("not kept")
                .contains("pir.chips/3@7");
    }

    @Test
    void aHugeMessageIsCut() {
        DeadLetter letter = DeadLetters.of("t", 0, 0, null, null, "p", new RuntimeException("x".repeat(10_000)), AT);
        assertThat(letter.getErrorMessage()).as("message length").hasSize(DeadLetters.MAX_MESSAGE_LENGTH + 3);
    }
}
