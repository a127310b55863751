package io.pirstream.embed;

import java.nio.ByteBuffer;

/**
 * A chip record waiting for the model: its raw value and where it came from (for dead letters). Encoded
 * by hand into the changelogged store: {@code partition, offset, timestamp, value}.
 */
record PendingChip(String topic, int partition, long offset, long timestamp, byte[] value) {

    byte[] encode() {
        byte[] topicBytes = topic.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + topicBytes.length + 4 + 8 + 8 + value.length)
                .putInt(topicBytes.length).put(topicBytes)
                .putInt(partition).putLong(offset).putLong(timestamp).put(value)
                .array();
    }

    /** The input offset of an encoded chip, without copying its value. */
    static long offsetOf(byte[] encoded) {
        ByteBuffer buffer = ByteBuffer.wrap(encoded);
        return buffer.getLong(4 + buffer.getInt(0) + 4);
    }

    static PendingChip decode(byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        byte[] topic = new byte[buffer.getInt()];
        buffer.get(topic);
        int partition = buffer.getInt();
        long offset = buffer.getLong();
        long timestamp = buffer.getLong();
        byte[] value = new byte[buffer.remaining()];
        buffer.get(value);
        return new PendingChip(new String(topic, java.nio.charset.StandardCharsets.UTF_8), partition, offset,
                timestamp, value);
    }
}
