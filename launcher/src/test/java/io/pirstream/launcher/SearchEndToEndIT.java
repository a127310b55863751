package io.pirstream.launcher;

import static io.pirstream.launcher.TestChips.chipIds;
import static io.pirstream.launcher.TestChips.firstChipId;
import static io.pirstream.launcher.TestChips.png;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pirstream.model.PirModel;
import io.pirstream.model.synth.SyntheticScenes;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole product with the shipped model: generated aerial scenes with known content go in through the ingest
 * HTTP API; text queries describing them find them; filters narrow; a query service killed with SIGKILL is restarted and answers the same; a
 * deleted chip disappears.
 */
class SearchEndToEndIT {

    private static final ApiKeys KEYS = ApiKeys.random();

    @Test
    void textQueriesFindTheScenesTheyDescribe(@TempDir Path data) throws Exception {
        assumeTrue(PirModel.class.getResource(PirModel.DEFAULT_RESOURCE + "/checkpoint.json") != null,
                "no shipped checkpoint on the classpath (pir-model/src/main/resources" + PirModel.DEFAULT_RESOURCE + ")");
        Path home = Path.of("..").toAbsolutePath().normalize();
        Stack.Settings settings = new Stack.Settings(home, data, 0, 0, 0, 0, KEYS, data.resolve("drop"),
                Optional.empty(), EnumSet.allOf(Stack.Service.class));
        try (Stack stack = Stack.start(settings)) {
            IngestClient ingest = new IngestClient(stack.ingest().baseUrl(), KEYS.ingest());
            QueryClient query = new QueryClient(stack.query().baseUrl(), KEYS.analyst());

            // 1. one generated scene per class, each a single 256 px chip; time upload -> searchable
            Map<String, String> chipByCaption = new LinkedHashMap<>();
            List<Long> searchableMillis = new ArrayList<>();
            for (int i = 0; i < SyntheticScenes.LABELS.size(); i++) {
                SyntheticScenes.Scene scene = SyntheticScenes.generate(77_000 + i, 256, SyntheticScenes.LABELS.get(i));
                long start = System.nanoTime();
                HttpResponse<String> response = ingest.post("/v1/frames", png(scene), "scene.png", Map.of(
                        "platform", i % 2 == 0 ? "uav-even" : "uav-odd",
                        "capturedAt", Instant.parse("2025-11-01T00:00:00Z").plus(Duration.ofDays(i)).toString()));
                assertThat(response.statusCode()).as("upload of " + scene.label()).isEqualTo(200);
                String chipId = firstChipId(response.body());
                assertThat(query.awaitSearchable(Set.of(chipId), Duration.ofSeconds(60))).as("searchable: " + scene.label())
                        .containsExactly(chipId);
                searchableMillis.add((System.nanoTime() - start) / 1_000_000);
                chipByCaption.put(scene.captions().get(0), chipId);
            }
            System.out.println("upload -> searchable (ms): " + searchableMillis);

            // 2. each scene's caption finds it among the top 3 of 7 (chance: 3 in 7)
            int found = 0;
            for (var entry : chipByCaption.entrySet()) {
                List<String> top = chipIds(query.search(entry.getKey(), 3).body());
                System.out.println("'" + entry.getKey() + "' -> " + (top.contains(entry.getValue()) ? "found" : "missed"));
                found += top.contains(entry.getValue()) ? 1 : 0;
            }
            assertThat(found).as("scenes found in the top 3 by their own description, of 7").isGreaterThanOrEqualTo(5);

            // 3. filters narrow the results
            String anyCaption = chipByCaption.keySet().iterator().next();
            assertThat(chipIds(search(stack, anyCaption, "\"platforms\": [\"uav-odd\"]"))).as("platform filter")
                    .hasSize(3);
            assertThat(chipIds(search(stack, anyCaption, "\"from\": \"2025-11-03T00:00:00Z\", \"to\": \"2025-11-04T00:00:00Z\"")))
                    .as("time filter").hasSize(2);

            // 4. a query service killed with SIGKILL is restarted by the launcher's supervisor and answers the same
            //    (from its local copy of the index)
            List<String> before = chipIds(query.search(anyCaption, 7).body());
            long killed = stack.query().pid();
            assertThat(ProcessHandle.of(killed).orElseThrow().destroyForcibly()).as("SIGKILL sent").isTrue();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (stack.query().pid() == killed && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(stack.query().pid()).as("restarted by the supervisor (a new process)").isNotEqualTo(killed);
            stack.query().awaitReady(Duration.ofMinutes(2));
            assertThat(chipIds(query.search(anyCaption, 7).body())).as("same ranking after restart").isEqualTo(before);

            // 5. an operator deleting a chip (a tombstone on pir.chips) removes it from results; ingest keys cannot
            String deleted = chipByCaption.values().iterator().next();
            assertThat(ingest.delete("/v1/chips/" + deleted).statusCode()).as("delete with an ingest key")
                    .isEqualTo(403);
            assertThat(new IngestClient(stack.ingest().baseUrl(), KEYS.operator()).delete("/v1/chips/" + deleted)
                    .statusCode()).as("delete with the operator key").isEqualTo(202);
            deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (query.isSearchable(deleted) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(query.isSearchable(deleted)).as("deleted chip gone").isFalse();
            assertThat(chipIds(query.search(anyCaption, 7).body())).as("deleted chip not in results").doesNotContain(deleted)
                    .hasSize(6);

            // 6. deleting a whole scene removes its chips from results; uploading it again makes it searchable again
            SyntheticScenes.Scene last = SyntheticScenes.generate(77_000 + SyntheticScenes.LABELS.size() - 1, 256,
                    SyntheticScenes.LABELS.get(SyntheticScenes.LABELS.size() - 1));
            String lastChip = chipByCaption.get(last.captions().get(0));
            HttpResponse<String> reupload = ingest.post("/v1/frames", png(last), "scene.png", Map.of(
                    "platform", "uav-again", "capturedAt", "2025-11-01T00:00:00Z"));
            assertThat(firstChipId(reupload.body())).as("a re-upload has the same chip id").isEqualTo(lastChip);
            String sceneId = sceneId(reupload.body());
            HttpResponse<String> sceneDeletion = new IngestClient(stack.ingest().baseUrl(), KEYS.operator())
                    .delete("/v1/scenes/" + sceneId);
            assertThat(sceneDeletion.statusCode()).as("scene delete: " + sceneDeletion.body()).isEqualTo(202);
            assertThat(sceneDeletion.body()).as("the answer lists the chip").contains(lastChip);
            deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (query.isSearchable(lastChip) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(query.isSearchable(lastChip)).as("the deleted scene's chip is gone").isFalse();
            assertThat(chipIds(query.search(last.captions().get(0), 7).body())).as("not in results")
                    .doesNotContain(lastChip).hasSize(5);
            assertThat(new IngestClient(stack.ingest().baseUrl(), KEYS.operator()).delete("/v1/scenes/" + sceneId)
                    .statusCode()).as("deleted already").isEqualTo(404);
            assertThat(ingest.post("/v1/frames", png(last), "scene.png", Map.of("platform", "uav-again",
                    "capturedAt", "2025-11-01T00:00:00Z")).statusCode()).as("upload after the delete").isEqualTo(200);
            assertThat(query.awaitSearchable(Set.of(lastChip), Duration.ofSeconds(60))).as("searchable again")
                    .containsExactly(lastChip);
        }
        assertThat(LogLeaks.find(data.resolve("logs"), KEYS.all()))
                .as("service log lines with an API key, a credential or image bytes").isEmpty();
    }

    private static String sceneId(String uploadAnswer) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"sceneId\":\"([0-9a-f]{64})\"").matcher(uploadAnswer);
        assertThat(m.find()).as("a sceneId in " + uploadAnswer).isTrue();
        return m.group(1);
    }

    private static String search(Stack stack, String text, String filters) throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(stack.query().baseUrl() + "/v1/search"))
                .header("Authorization", "Bearer " + KEYS.analyst()).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"text\": \"" + text + "\", \"k\": 7,"
                        + " \"filters\": {" + filters + "}}")).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("filtered search: " + response.body()).isEqualTo(200);
        return response.body();
    }
}
