package io.pirstream.launcher;

import static io.pirstream.launcher.TestChips.chipIds;
import static io.pirstream.launcher.TestChips.firstChipId;
import static io.pirstream.launcher.TestChips.png;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pirstream.model.PirModel;
import io.pirstream.model.synth.SyntheticScenes;
import io.pirstream.schemas.KafkaClientSecurity;
import io.pirstream.schemas.TopicAccess;
import io.pirstream.schemas.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole product with Kafka authentication and ACLs on: the broker authenticates every client with SASL/SCRAM and
 * authorizes it with the ACLs of {@link TopicAccess}; each service connects as its own principal, reading its
 * credentials from its private client properties file. Uploads become searchable, subscriptions and feedback are
 * written; a principal cannot write a topic it has no grant for, and the ingest service says so when it loses its
 * grant; a query service that loses its READ grant on the embeddings fails its liveness check and is restarted. No
 * credential reaches a log.
 */
class SecureStackIT {

    private static final Pattern PASSWORD = Pattern.compile("password=\"([^\"]+)\"");
    private static final ApiKeys KEYS = ApiKeys.random();

    @Test
    void everyServiceWorksAsItsOwnPrincipalAndNoneBeyondItsGrants(@TempDir Path data) throws Exception {
        assumeTrue(PirModel.class.getResource(PirModel.DEFAULT_RESOURCE + "/checkpoint.json") != null,
                "no shipped checkpoint on the classpath (pir-model/src/main/resources" + PirModel.DEFAULT_RESOURCE + ")");
        Path home = Path.of("..").toAbsolutePath().normalize();
        Stack.Settings settings = new Stack.Settings(home, data, 0, 0, 0, 0, KEYS, data.resolve("drop"),
                Optional.empty(), EnumSet.allOf(Stack.Service.class), Map.of(), true);
        Set<String> secrets = new HashSet<>(KEYS.all());
        try (Stack stack = Stack.start(settings)) {
            for (Stack.Service service : Stack.Service.values()) {
                KafkaClientSecurity security = stack.kafkaSecurity(service).orElseThrow();
                assertThat(security.protocol().name).as(service + " connects with").isEqualTo("SASL_PLAINTEXT");
                Matcher password = PASSWORD.matcher(security.settings().get("sasl.jaas.config"));
                assertThat(password.find()).as("password in " + service + "'s JAAS config").isTrue();
                secrets.add(password.group(1));
                Path file = data.resolve("kafka-clients/" + service.name().toLowerCase(java.util.Locale.ROOT) + ".properties");
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                        .as("permissions of " + file.getFileName()).isEqualTo("rw-------");
            }
            IngestClient ingest = new IngestClient(stack.ingest().baseUrl(), KEYS.ingest());
            QueryClient query = new QueryClient(stack.query().baseUrl(), KEYS.analyst());

            // 1. ingest -> embed -> query with three principals: uploads become searchable and are found
            List<String> chips = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                SyntheticScenes.Scene scene = SyntheticScenes.generate(91_000 + i, 256, SyntheticScenes.LABELS.get(i));
                HttpResponse<String> response = ingest.post("/v1/frames", png(scene), "scene.png",
                        Map.of("platform", "uav-secure", "capturedAt", "2025-11-01T00:00:00Z"));
                assertThat(response.statusCode()).as("upload of " + scene.label() + ": " + response.body()).isEqualTo(200);
                chips.add(firstChipId(response.body()));
            }
            assertThat(query.awaitSearchable(Set.copyOf(chips), Duration.ofSeconds(90))).as("uploads searchable")
                    .containsExactlyInAnyOrderElementsOf(chips);
            HttpResponse<String> search = query.search("an aerial view", 5);
            assertThat(search.statusCode()).as("search: " + search.body()).isEqualTo(200);
            assertThat(chipIds(search.body())).as("search results").containsAll(chips);

            // 2. the query principal writes standing queries (read back by the matcher's global store) and feedback
            assertThat(post(stack, "/v1/subscriptions", "{\"text\": \"a lake in a forest\", \"threshold\": 0.9}")
                    .statusCode()).as("subscription created once the matcher has it").isEqualTo(201);
            assertThat(post(stack, "/v1/feedback", "{\"queryText\": \"an aerial view\", \"chipId\": \"" + chips.get(0)
                    + "\", \"relevant\": true}").statusCode()).as("feedback recorded").isEqualTo(201);

            // 3. a principal without a WRITE grant on pir.chips cannot write it
            KafkaClientSecurity querySecurity = stack.kafkaSecurity(Stack.Service.QUERY).orElseThrow();
            try (KafkaProducer<String, byte[]> forger = new KafkaProducer<>(querySecurity.apply(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker().bootstrapServers(),
                    ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000)), new StringSerializer(), new ByteArraySerializer())) {
                assertThatThrownBy(() -> forger.send(new ProducerRecord<>(Topics.CHIPS.name(), "forged", new byte[1]))
                        .get(15, TimeUnit.SECONDS)).as("the query principal writing pir.chips")
                        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TopicAuthorizationException.class);
            }

            // 4. the ingest service, its WRITE on pir.chips revoked, answers 503 naming the refusal, writes nothing
            stack.broker().deleteAcls(TopicAccess.Service.INGEST.user(), new ResourcePatternFilter(ResourceType.TOPIC,
                    Topics.CHIPS.name(), PatternType.LITERAL), AclOperation.WRITE);
            HttpResponse<String> refused = ingest.post("/v1/frames",
                    png(SyntheticScenes.generate(91_100, 256, SyntheticScenes.LABELS.get(2))), "scene.png",
                    Map.of("platform", "uav-secure", "capturedAt", "2025-11-02T00:00:00Z"));
            assertThat(refused.statusCode()).as("upload without a grant: " + refused.body()).isEqualTo(503);
            assertThat(refused.body()).as("problem detail").contains("Kafka refused this service's principal")
                    .contains("AuthorizationException");

            // 5. the query service, its READ on the embeddings revoked, loses its index's global thread for good: the
            //    client goes to ERROR and liveness says DOWN; with the grant back, the launcher's supervisor restarts
            //    it and it answers from its index again
            long failed = stack.query().pid();
            Collection<AclBinding> revoked = stack.broker().deleteAcls(TopicAccess.Service.QUERY.user(),
                    new ResourcePatternFilter(ResourceType.TOPIC, Topics.EMBEDDINGS_PREFIX, PatternType.PREFIXED),
                    AclOperation.READ);
            assertThat(revoked).as("READ grants on the embeddings").isNotEmpty();
            HttpResponse<String> live = awaitLivenessDown(stack, Duration.ofSeconds(60));
            assertThat(live.statusCode()).as("liveness without a READ grant: " + live.body()).isEqualTo(503);
            assertThat(live.body()).as("liveness names the index's client as failed")
                    .containsPattern("\"index\"\\s*:\\s*\"(PENDING_)?ERROR\"");
            System.out.println("liveness without a READ grant: " + live.body().replaceAll("\\s+", " "));
            stack.broker().createAcls(revoked);
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (stack.query().pid() == failed && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(stack.query().pid()).as("restarted by the supervisor").isNotEqualTo(failed);
            stack.query().awaitReady(Duration.ofMinutes(2));
            HttpResponse<String> again = query.search("an aerial view", 5);
            assertThat(again.statusCode()).as("search after the restart: " + again.body()).isEqualTo(200);
            assertThat(chipIds(again.body())).as("search results after the restart").containsAll(chips);
        }
        assertThat(LogLeaks.find(data.resolve("logs"), secrets))
                .as("service log lines with an API key, a Kafka password or image bytes").isEmpty();
    }

    /** Polls the query service's liveness until it answers 503 (or the timeout passes); the last answer. */
    private static HttpResponse<String> awaitLivenessDown(Stack stack, Duration timeout) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest live = HttpRequest.newBuilder(URI.create(stack.query().baseUrl() + "/q/health/live"))
                .timeout(Duration.ofSeconds(5)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpResponse<String> answer = http.send(live, HttpResponse.BodyHandlers.ofString());
        while (answer.statusCode() != 503 && System.nanoTime() < deadline) {
            Thread.sleep(200);
            answer = http.send(live, HttpResponse.BodyHandlers.ofString());
        }
        return answer;
    }

    private static HttpResponse<String> post(Stack stack, String path, String json) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(stack.query().baseUrl() + path))
                .header("Authorization", "Bearer " + KEYS.analyst()).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(json)).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    }
}
