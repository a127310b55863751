package io.pirstream.testkit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.testcontainers.kafka.KafkaContainer;

/** The topic contracts against Kafka in a container (Testcontainers), on whatever engine is reachable. */
@RequiresContainerEngine
class ContainerBrokerContractIT extends KafkaContractTests {

    private static KafkaContainer kafka;

    @BeforeAll
    static void startContainer() {
        if (!ContainerEngine.available()) {
            return; // every test is skipped with the reason (RequiresContainerEngine)
        }
        kafka = ContainerEngine.kafka();
        kafka.start();
    }

    @AfterAll
    static void stopContainer() {
        if (kafka != null) {
            kafka.stop();
        }
    }

    @Override
    String bootstrapServers() {
        return kafka.getBootstrapServers();
    }
}
