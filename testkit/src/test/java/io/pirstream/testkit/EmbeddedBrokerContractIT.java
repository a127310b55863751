package io.pirstream.testkit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

/** The topic contracts against the embedded KRaft broker. */
@ExtendWith(EmbeddedKafkaExtension.class)
class EmbeddedBrokerContractIT extends KafkaContractTests {

    private EmbeddedKafkaBroker broker;

    @BeforeEach
    void useBroker(EmbeddedKafkaBroker broker) {
        this.broker = broker;
    }

    @Override
    String bootstrapServers() {
        return broker.bootstrapServers();
    }
}
