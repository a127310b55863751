package io.pirstream.testkit;

import java.util.Optional;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * Testcontainers access for tests that want a broker in a container. Uses whatever Docker-compatible engine
 * Testcontainers finds ({@code DOCKER_HOST}); on the project's build machines that is the Podman service
 * from {@code ../shared/container-engine/setup.sh}, which also provides a local Kafka image.
 */
public final class ContainerEngine {

    /** Kafka image: {@code PIRSTREAM_KAFKA_IMAGE} or the upstream image. */
    public static final String KAFKA_IMAGE = Optional.ofNullable(System.getenv("PIRSTREAM_KAFKA_IMAGE"))
            .filter(s -> !s.isBlank()).orElse("apache/kafka:4.4.0");
    /** When true (CI sets it), a missing engine fails the tests instead of skipping them. */
    public static final boolean REQUIRED = Boolean.parseBoolean(System.getenv("PIRSTREAM_REQUIRE_CONTAINERS"));

    private ContainerEngine() {
    }

    /** Why no engine can be used, or empty when one is reachable (probed once per JVM). */
    public static Optional<String> unavailableReason() {
        return Probe.RESULT;
    }

    /** Whether an engine is reachable. */
    public static boolean available() {
        return unavailableReason().isEmpty();
    }

    /** Lazy holder: the probe runs on first use. */
    private static final class Probe {
        static final Optional<String> RESULT = probe();
    }

    private static Optional<String> probe() {
        try {
            if (DockerClientFactory.instance().isDockerAvailable()) {
                return Optional.empty();
            }
        } catch (RuntimeException | LinkageError e) {
            return Optional.of("Testcontainers failed to probe for an engine: " + e);
        }
        return Optional.of("no Docker-compatible engine is reachable (DOCKER_HOST="
                + System.getenv("DOCKER_HOST") + "); on the build machines run"
                + " eval \"$(bash ../shared/container-engine/setup.sh)\" first, elsewhere start Docker");
    }

    /** A Kafka container (not started) for {@link #KAFKA_IMAGE}; local images are never pulled. */
    public static KafkaContainer kafka() {
        DockerImageName image = DockerImageName.parse(KAFKA_IMAGE).asCompatibleSubstituteFor("apache/kafka");
        KafkaContainer container = new KafkaContainer(image);
        if (KAFKA_IMAGE.startsWith("localhost/")) {
            container.withImagePullPolicy(name -> false);
        }
        return container;
    }
}
