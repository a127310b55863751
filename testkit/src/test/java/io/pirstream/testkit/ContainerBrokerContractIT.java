package io.pirstream.testkit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.testcontainers.kafka.KafkaContainer;

/** The topic contracts against Kafka in a container (Testcontainers), on whatever engine is reachable. */
@RequiresContainerEngine
class ContainerBrokerContractIT extends KafkaContractTests {

    private static KafkaContainer kafka;
    /** Why the container did not start (an engine without the image, say), when containers are not required. */
    private static String startFailure;

    @BeforeAll
    static void startContainer() {
        if (!ContainerEngine.available()) {
            return; // every test is skipped with the reason (RequiresContainerEngine)
        }
        KafkaContainer container = ContainerEngine.kafka();
        try {
            container.start();
            kafka = container;
        } catch (RuntimeException e) {
            container.close();
            if (ContainerEngine.REQUIRED) {
                throw e;
            }
            startFailure = "the engine is reachable but Kafka (" + ContainerEngine.KAFKA_IMAGE + ") did not start: " + e;
        }
    }

    @BeforeEach
    void requireContainer() {
        assumeTrue(startFailure == null, () -> startFailure);
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
