package io.pirstream.ingest.kafka;

/** Kafka did not accept a write in time; nothing of the write is visible to read-committed readers. */
public class KafkaUnavailableException extends RuntimeException {

    public KafkaUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
