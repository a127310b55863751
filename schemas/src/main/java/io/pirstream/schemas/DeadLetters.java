package io.pirstream.schemas;

import io.pirstream.schemas.avro.DeadLetter;
import java.nio.ByteBuffer;
import java.time.Instant;

/** Builds {@link DeadLetter} records: the original bytes, where they came from, and why they were refused. */
public final class DeadLetters {

    /** Longest error message kept; stack traces belong in logs, not on the topic. */
    public static final int MAX_MESSAGE_LENGTH = 2_000;

    private DeadLetters() {
    }

    /**
     * @param processor the application that refused the record (its Kafka application or service name)
     * @param cause why; its class and message (with the messages of its causes) are recorded
     */
    public static DeadLetter of(String sourceTopic, int partition, long offset, byte[] key, byte[] value,
                                String processor, Throwable cause, Instant at) {
        StringBuilder message = new StringBuilder(String.valueOf(cause.getMessage()));
        for (Throwable c = cause.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            message.append(" <- ").append(c.getClass().getSimpleName()).append(": ").append(c.getMessage());
        }
        String text = message.length() > MAX_MESSAGE_LENGTH ? message.substring(0, MAX_MESSAGE_LENGTH) + "..." : message.toString();
        return DeadLetter.newBuilder()
                .setSourceTopic(sourceTopic)
                .setSourcePartition(partition)
                .setSourceOffset(offset)
                .setOriginalKey(key == null ? null : ByteBuffer.wrap(key))
                .setOriginalValue(value == null ? null : ByteBuffer.wrap(value))
                .setErrorClass(cause.getClass().getName())
                .setErrorMessage(text)
                .setProcessor(processor)
                .setFailedAt(at)
                .build();
    }
}
