package io.pirstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.ContainerConfig;
import io.pirstream.model.synth.SyntheticScenes;
import io.pirstream.testkit.ContainerEngine;
import io.pirstream.testkit.RequiresContainerEngine;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.testcontainers.DockerClientFactory;

/**
 * deploy/compose.yaml on the container engine, with the images the build just made (profile images): a frame posted
 * to the ingest API is found by its description through the query API, and a service whose process is killed is
 * started again by its restart policy and serves again. Skipped, with the reason, without an engine, a compose
 * command or the images; with {@code PIRSTREAM_REQUIRE_CONTAINERS=true} (CI) each of those fails instead. The same
 * stack under repeated faults of every kind: {@link FaultSoakIT}.
 */
@RequiresContainerEngine
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ComposeStackIT {

    private static final Duration SEARCHABLE_TIMEOUT = Duration.ofMinutes(3);

    private static ComposeStack stack;
    private static String firstChip;

    @BeforeAll
    static void startStack() throws IOException {
        if (ContainerEngine.available()) { // otherwise @RequiresContainerEngine skips (or fails) each test with the reason
            stack = ComposeStack.start("compose-stack", List.of(), Map.of());
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
        firstChip = stack.postFrame(scene);
        assertThat(stack.awaitSearchable(firstChip, SEARCHABLE_TIMEOUT)).as("chip " + firstChip + " searchable")
                .isTrue();

        HttpResponse<String> search = stack.searchText(scene.captions().get(0));
        assertThat(search.statusCode()).as("search: " + search.body()).isEqualTo(200);
        assertThat(ComposeStack.chipIds(search.body())).as("results for '" + scene.captions().get(0) + "'")
                .contains(firstChip);
    }

    @Test
    @Order(2)
    void aKilledServiceIsRestartedAndServesAgain() throws Exception {
        stack.killAndAwaitRestart("query");
        stack.awaitReady(stack.queryUrl(), ComposeStack.START_TIMEOUT);

        assertThat(stack.awaitSearchable(firstChip, SEARCHABLE_TIMEOUT)).as("the chip from before the kill, after the "
                + "restart").isTrue();
        SyntheticScenes.Scene scene = SyntheticScenes.generate(14_002, 256, "river_lake");
        String chip = stack.postFrame(scene);
        assertThat(stack.awaitSearchable(chip, SEARCHABLE_TIMEOUT)).as("a chip posted after the restart").isTrue();
        assertThat(ComposeStack.chipIds(stack.searchText(scene.captions().get(0)).body())).as("results after the restart")
                .contains(chip);
    }

    /**
     * A restarted broker container comes back at a new address. A JVM keeps a looked-up address for 30 s by default
     * (and a failed lookup for 10 s), so each service kept knocking at the old one for up to a minute after the broker
     * was back (the fault soak's "broker restart"); every image's JVM looks the name up again within seconds.
     */
    @Test
    @Order(3)
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

    @Test
    @Order(4)
    void noApiKeyReachesALog() {
        String logs = stack.compose().run(Duration.ofMinutes(2), "logs", "--no-color");
        assertThat(logs).as("the stack's logs").contains("Listening on");
        stack.keys().forEach((name, key) -> assertThat(logs).as("logs hold no " + name).doesNotContain(key));
    }
}
