package io.pirstream.query;

import io.micrometer.core.instrument.MeterRegistry;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.DeadLetter;
import io.pirstream.service.kafka.KafkaClients;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.jboss.logging.Logger;

/** Writes dead letters for the readers that cannot forward to a sink (global stores, the webhook dispatcher). */
@ApplicationScoped
public class DeadLetterPublisher {

    private static final Logger LOG = Logger.getLogger(DeadLetterPublisher.class);

    private final QueryConfig config;
    private final KafkaClients clients;
    private final MeterRegistry metrics;
    private KafkaProducer<byte[], DeadLetter> producer;

    public DeadLetterPublisher(QueryConfig config, KafkaClients clients, MeterRegistry metrics) {
        this.config = config;
        this.clients = clients;
        this.metrics = metrics;
    }

    /** Sends the letter; returns once the broker has it, or throws (callers that must not lose it wait). */
    public void publish(DeadLetter letter) {
        LOG.warnf("Refused a record of %s (%s): %s", letter.getSourceTopic(), letter.getProcessor(), letter.getErrorMessage());
        metrics.counter("pirstream.query.dead.letters", "processor", letter.getProcessor()).increment();
        byte[] key = letter.getOriginalKey() == null ? null : letter.getOriginalKey().array();
        try {
            producer().send(new ProducerRecord<>(Topics.DLQ.name(), key, letter)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing a dead letter", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("could not write a dead letter: " + e.getCause().getMessage(), e.getCause());
        }
    }

    private synchronized KafkaProducer<byte[], DeadLetter> producer() {
        if (producer == null) {
            producer = new KafkaProducer<>(clients.config(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                    config.bootstrapServers(), ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                    ProducerConfig.ACKS_CONFIG, "all")),
                    Topics.DLQ.keySerde().serializer(), Topics.DLQ.valueSerde().serializer());
        }
        return producer;
    }

    synchronized void onStop(@Observes ShutdownEvent event) {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
    }
}
