package io.pirstream.ingest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.pirstream.ingest.api.DeletionResource;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.SceneManifest;
import io.pirstream.testkit.imagery.TestImagery;
import io.pirstream.testkit.quarkus.EmbeddedKafkaResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@code DELETE /v1/scenes/{id}} over real HTTP against the embedded broker: what it deletes, and what it refuses. */
@QuarkusTest
@QuarkusTestResource(EmbeddedKafkaResource.class)
class SceneDeletionIT {

    static final String OPERATOR_KEY = "test-operator-key-0123456789";

    @Test
    void aDeletedSceneLeavesTombstonesForEveryChipOfEveryUploadAndCanBeUploadedAgain() throws Exception {
        byte[] png = TestImagery.png(TestImagery.image(600, 400, 77));
        IngestResult frame = IngestApiIT.upload(png, "frame.png").post("/v1/frames").then().statusCode(200)
                .extract().as(IngestResult.class);
        IngestResult retiled = IngestApiIT.upload(png, "scene.png").multiPart("chipSize", "200")
                .post("/v1/scenes").then().statusCode(200).extract().as(IngestResult.class);
        assertThat(retiled.sceneId()).as("the same bytes are the same scene").isEqualTo(frame.sceneId());
        Set<String> all = new LinkedHashSet<>(frame.chipIds());
        all.addAll(retiled.chipIds());
        assertThat(all).as("two tilings, different chips").hasSizeGreaterThan(frame.chipIds().size());
        SceneManifest manifest = ChipTopic.latest(Topics.SCENES).get(frame.sceneId());
        assertThat(manifest.getChipIds()).as("the manifest on the topic lists the chips of both uploads")
                .map(CharSequence::toString).containsExactlyInAnyOrderElementsOf(all);

        DeletionResource.SceneDeletion deletion = delete(frame.sceneId()).then().statusCode(202).extract()
                .as(DeletionResource.SceneDeletion.class);

        assertThat(deletion.chipIds()).as("the answer lists every chip deleted").containsExactlyInAnyOrderElementsOf(all);
        Map<String, Chip> chips = ChipTopic.latest(Topics.CHIPS);
        assertThat(all).as("each chip's latest record is a tombstone").allSatisfy(id -> {
            assertThat(chips).as("chip " + id + " on the topic").containsKey(id);
            assertThat(chips.get(id)).as("chip " + id).isNull();
        });
        Map<String, SceneManifest> manifests = ChipTopic.latest(Topics.SCENES);
        assertThat(manifests).as("the manifest is tombstoned").containsEntry(frame.sceneId(), null);
        delete(frame.sceneId()).then().statusCode(404).contentType(startsWith("application/problem+json"))
                .body("reason", equalTo("SCENE_NOT_FOUND"));

        IngestResult again = IngestApiIT.upload(png, "frame.png").post("/v1/frames").then().statusCode(200)
                .extract().as(IngestResult.class);
        assertThat(again.chipIds()).as("the same chip ids again").containsExactlyElementsOf(frame.chipIds());
        Map<String, Chip> reuploaded = ChipTopic.latest(Topics.CHIPS);
        assertThat(frame.chipIds()).as("the re-uploaded chips are back").allSatisfy(id ->
                assertThat(reuploaded.get(id)).as("chip " + id).isNotNull());
        assertThat(delete(frame.sceneId()).then().statusCode(202).extract().as(DeletionResource.SceneDeletion.class)
                .chipIds()).as("only the chips of the upload after the delete").containsExactlyInAnyOrderElementsOf(
                frame.chipIds());
    }

    @Test
    void anUnknownSceneIsA404AndAMalformedIdA400() {
        delete("0".repeat(64)).then().statusCode(404).contentType(startsWith("application/problem+json"))
                .body("reason", equalTo("SCENE_NOT_FOUND")).body("detail", containsString("never uploaded"));
        delete("not-a-scene").then().statusCode(400).contentType(startsWith("application/problem+json"))
                .body("reason", equalTo("INVALID_SCENE_ID"));
    }

    @Test
    void uploadersCannotDelete() {
        given().header("Authorization", "Bearer " + IngestApiIT.INGEST_KEY).delete("/v1/scenes/" + "0".repeat(64))
                .then().statusCode(403);
    }

    private static io.restassured.response.Response delete(String sceneId) {
        return given().header("Authorization", "Bearer " + OPERATOR_KEY).delete("/v1/scenes/" + sceneId);
    }

}
