package io.pirstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.ContainerConfig;
import io.pirstream.model.synth.SyntheticScenes;
import io.pirstream.testkit.ContainerEngine;
import io.pirstream.testkit.RequiresContainerEngine;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.testcontainers.DockerClientFactory;

/**
 * deploy/compose.yaml on the container engine, with the images the build just made (profile images): a frame posted
 * to the ingest API is found by its description through the query API; then the stack goes through rounds of real
 * faults of every kind under a steady load ({@link FaultSoak}: SIGKILL of each service, broker restart, broker paused)
 * without losing an upload or applying one twice. Skipped, with the reason, without an engine, a compose command or
 * the images; with {@code PIRSTREAM_REQUIRE_CONTAINERS=true} (CI) each of those fails instead.
 */
@RequiresContainerEngine
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ComposeStackIT {

    private static final Duration SEARCHABLE_TIMEOUT = Duration.ofMinutes(3);

    /** A second Kafka listener on loopback, so that the fault soak reads every topic itself. */
    private static final Path KAFKA_EXTERNAL = ServiceContract.ROOT.resolve(
            "deploy/src/test/resources/compose-kafka-external.yaml");

    private static ComposeStack stack;
    private static String kafka;

    @BeforeAll
    static void startStack() throws IOException {
        if (ContainerEngine.available()) { // otherwise @RequiresContainerEngine skips (or fails) each test with the reason
            int kafkaPort;
            try (ServerSocket socket = new ServerSocket(0)) {
                kafkaPort = socket.getLocalPort();
            }
            stack = ComposeStack.start("compose-stack", List.of(KAFKA_EXTERNAL),
                    Map.of("PIRSTREAM_KAFKA_EXTERNAL_PORT", String.valueOf(kafkaPort)));
            kafka = "127.0.0.1:" + kafkaPort;
        }
    }

    @AfterAll
    static void stopStack() throws IOException {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Order(1)
    void aPostedFrameIsFoundByItsDescription() throws Exception {
        SyntheticScenes.Scene scene = SyntheticScenes.generate(14_001, 256, "forest");
        String chip = stack.postFrame(scene);
        assertThat(stack.awaitSearchable(chip, SEARCHABLE_TIMEOUT)).as("chip " + chip + " searchable").isTrue();

        HttpResponse<String> search = stack.searchText(scene.captions().get(0));
        assertThat(search.statusCode()).as("search: " + search.body()).isEqualTo(200);
        assertThat(ComposeStack.chipIds(search.body())).as("results for '" + scene.captions().get(0) + "'")
                .contains(chip);
    }

    /**
     * A restarted broker container comes back at a new address. A JVM keeps a looked-up address for 30 s by default
     * (and a failed lookup for 10 s), so each service kept knocking at the old one for up to a minute after the broker
     * was back (the fault soak's "broker restart"); every image's JVM looks the name up again within seconds.
     */
    @Test
    @Order(2)
    void everyServiceLooksTheBrokerUpAgainWithinSeconds() {
        DockerClient docker = DockerClientFactory.instance().client();
        for (String service : List.of("ingest", "embed", "query")) {
            ContainerConfig config = docker.inspectContainerCmd(stack.compose().containerId(service)).exec().getConfig();
            List<String> command = new ArrayList<>();
            Optional.ofNullable(config.getEntrypoint()).ifPresent(entrypoint -> command.addAll(List.of(entrypoint)));
            Optional.ofNullable(config.getCmd()).ifPresent(cmd -> command.addAll(List.of(cmd)));
            assertThat(seconds(command, "sun.net.inetaddr.ttl")).as(service + "'s JVM keeps an address (s): " + command)
                    .isBetween(0, 10);
            assertThat(seconds(command, "sun.net.inetaddr.negative.ttl")).as(service + "'s JVM keeps a failed lookup"
                    + " (s): " + command).isBetween(0, 5);
        }
    }

    /** The value of {@code -D<property>=<seconds>} in a command line, or -1 without one. */
    private static int seconds(List<String> command, String property) {
        return command.stream().filter(argument -> argument.startsWith("-D" + property + "="))
                .mapToInt(argument -> Integer.parseInt(argument.substring(property.length() + 3))).findFirst().orElse(-1);
    }

    /**
     * Each fault {@link FaultSoak#RUNS} times (3 here, 10 in the profile soak), each followed by the checks: nothing
     * accepted is lost, nothing is applied twice, the services heal by themselves (a killed service is started again
     * by its restart policy and serves everything from before).
     */
    @Test
    @Order(3)
    void noFaultLosesAnUploadOrAppliesOneTwice() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka))) {
            assertThat(new FaultSoak(stack, kafka, admin).run())
                    .as("violations of exactly-once under faults (target/fault-soak.md)").isEmpty();
        }
    }

    @Test
    @Order(4)
    void noApiKeyReachesALog() {
        String logs = stack.compose().run(Duration.ofMinutes(2), "logs", "--no-color");
        assertThat(logs).as("the stack's logs").contains("Listening on");
        stack.keys().forEach((name, key) -> assertThat(logs).as("logs hold no " + name).doesNotContain(key));
    }
}
