package io.pirstream.ingest.kafka;

/** Every transactional producer is taken by other uploads: this service is busy, Kafka is not at fault. */
public class WritersBusyException extends RuntimeException {

    public WritersBusyException(String message) {
        super(message);
    }
}
