package io.pirstream.testkit;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.testcontainers.kafka.KafkaContainer;

/** The topic contracts against Kafka in a container (Testcontainers), on whatever engine is reachable. */
class ContainerBrokerContractIT extends KafkaContractTests {

    private static KafkaContainer kafka;

    @BeforeAll
    static void startContainer() {
        Optional<String> unavailable = ContainerEngine.unavailableReason();
        if (unavailable.isPresent() && ContainerEngine.REQUIRED) {
            fail("PIRSTREAM_REQUIRE_CONTAINERS is set but " + unavailable.get());
        }
        assumeTrue(unavailable.isEmpty(), () -> "Skipping container tests: " + unavailable.orElse(""));
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
