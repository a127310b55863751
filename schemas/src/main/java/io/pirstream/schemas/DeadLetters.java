package io.pirstream.schemas;

import io.pirstream.schemas.avro.DeadLetter;
import java.nio.ByteBuffer;
import java.time.Instant;

/** Builds {@link DeadLetter} records: the original bytes, where they came from, and why they were refused. */
public final class DeadLetters {

    /** Longest error message kept; stack traces belong in logs, not on the topic. */
    public static final int MAX_MESSAGE_LENGTH = 2_000;

    /**
     * Most original bytes (key and value together) a dead letter keeps. A record near the topics' size limit would
     * otherwise make a dead letter the dead-letter topic refuses, and the reader would fail on it forever; beyond
     * this the letter keeps the record's coordinates, where it can still be read.
     */
    public static final int MAX_ORIGINAL_BYTES = Topics.MAX_MESSAGE_BYTES - 64 * 1024;

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
        long original = (key == null ? 0L : key.length) + (value == null ? 0L : value.length);
        boolean keep = original <= MAX_ORIGINAL_BYTES;
        if (!keep) {
            text += " [original key and value (" + original + " bytes) not kept: over " + MAX_ORIGINAL_BYTES
                    + "; read them at " + sourceTopic + "/" + partition + "@" + offset + "]";
        }
        return DeadLetter.newBuilder()
                .setSourceTopic(sourceTopic)
                .setSourcePartition(partition)
                .setSourceOffset(offset)
                .setOriginalKey(key == null || !keep ? null : ByteBuffer.wrap(key))
                .setOriginalValue(value == null || !keep ? null : ByteBuffer.wrap(value))
                .setErrorClass(cause.getClass().getName())
                .setErrorMessage(text)
                .setProcessor(processor)
                .setFailedAt(at)
                .build();
    }
}
