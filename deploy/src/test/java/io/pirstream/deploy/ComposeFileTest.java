package io.pirstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * deploy/compose.yaml held to the code without an engine: every service's image, environment and port are those
 * the service reads and listens on, and the env file example names every key the compose file requires.
 */
class ComposeFileTest {

    private static final Path COMPOSE = ServiceContract.ROOT.resolve("deploy/compose.yaml");
    private static final Pattern REQUIRED_VARIABLE = Pattern.compile("\\$\\{([A-Z0-9_]+):\\?");

    @Test
    @SuppressWarnings("unchecked")
    void everyServiceGetsWhatItsCodeReads() throws IOException {
        // SnakeYAML resolves the file's anchors and merge keys as compose does
        Map<String, Object> compose = new Yaml().load(Files.readString(COMPOSE, StandardCharsets.UTF_8));
        Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>) compose.get("services");
        Map<String, ServiceContract> contracts = Map.of("ingest", ServiceContract.ingest(), "embed",
                ServiceContract.embed(), "embed-2", ServiceContract.embed(), "query", ServiceContract.query());
        assertThat(services).as("compose services").containsKeys("kafka", "ingest", "embed", "embed-2", "query");

        contracts.forEach((name, contract) -> {
            Map<String, Object> service = services.get(name);
            assertThat(String.valueOf(service.get("image"))).as(name + " image")
                    .matches("\\$\\{PIRSTREAM_IMAGE_PREFIX:-}" + contract.image() + ":\\$\\{PIRSTREAM_TAG:-.+}");
            assertThat(service.get("restart")).as(name + " restart policy").isEqualTo("unless-stopped");
            Map<String, Object> environment = (Map<String, Object>) service.get("environment");
            assertThat(environment.keySet()).as(name + " environment variables its code reads")
                    .allMatch(contract::reads);
            assertThat(environment.get("KAFKA_BOOTSTRAP_SERVERS")).as(name + " brokers").isEqualTo("kafka:9092");
            int port = environment.containsKey(contract.portVariable())
                    ? Integer.parseInt(String.valueOf(environment.get(contract.portVariable()))) : contract.httpPort();
            List<String> test = (List<String>) ((Map<String, Object>) service.get("healthcheck")).get("test");
            assertThat(String.join(" ", test)).as(name + " health check")
                    .contains("/dev/tcp/127.0.0.1/" + port).contains("/q/health/ready");
            for (Object published : (List<Object>) service.getOrDefault("ports", List.of())) {
                assertThat(String.valueOf(published)).as(name + " published port").endsWith(":" + port);
            }
            environment.forEach((variable, value) -> {
                if (variable.startsWith("PIRSTREAM_") && variable.endsWith("_KEY")) {
                    assertThat(String.valueOf(value)).as(name + " " + variable + " comes from the env file")
                            .startsWith("${" + variable + ":");
                }
            });
        });
        assertThat(services.get("embed-2").get("profiles")).as("the second embed-processor is optional")
                .isEqualTo(List.of("second-embedder"));
    }

    @Test
    void theEnvFileExampleNamesEveryRequiredKey() throws IOException {
        Set<String> required = new TreeSet<>();
        Matcher matcher = REQUIRED_VARIABLE.matcher(Files.readString(COMPOSE, StandardCharsets.UTF_8));
        while (matcher.find()) {
            required.add(matcher.group(1));
        }
        Set<String> example = new TreeSet<>();
        Files.readAllLines(ServiceContract.ROOT.resolve("deploy/pirstream.env.example"), StandardCharsets.UTF_8)
                .stream().filter(line -> !line.startsWith("#") && line.contains("="))
                .forEach(line -> example.add(line.substring(0, line.indexOf('='))));
        assertThat(required).as("variables compose.yaml requires").isNotEmpty();
        assertThat(example).as("deploy/pirstream.env.example").containsAll(required);
    }
}
