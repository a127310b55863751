package io.pirstream.ingest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.Source;
import io.pirstream.testkit.imagery.TestImagery;
import io.pirstream.testkit.quarkus.EmbeddedKafkaResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import io.restassured.specification.RequestSpecification;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The ingest API over real HTTP, writing to the embedded KRaft broker. */
@QuarkusTest
@QuarkusTestResource(EmbeddedKafkaResource.class)
class IngestApiIT {

    static final String INGEST_KEY = "test-ingest-key-0123456789";
    static final String ANALYST_KEY = "test-analyst-key-0123456789";
    static final String CAPTURED_AT = "2025-11-01T10:00:00Z";

    static RequestSpecification upload(byte[] image, String fileName) {
        return given().header("Authorization", "Bearer " + INGEST_KEY)
                .multiPart("image", fileName, image)
                .multiPart("platform", "test-drone-7")
                .multiPart("capturedAt", CAPTURED_AT);
    }

    @ConfigProperty(name = "quarkus.http.body.uploads-directory")
    String uploadsFolder;

    @Test
    void uploadsAreSpooledInAPrivateFolderOfThisUsersOwn() throws Exception {
        // the shared default (${java.io.tmpdir}/uploads) failed every upload once another user's service had made it
        Path folder = Path.of(uploadsFolder);
        assertThat(folder.getFileName().toString()).as("one folder per user").contains(System.getProperty("user.name"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(folder))).as("only this user may enter it")
                .isEqualTo("rwx------");
        upload(TestImagery.png(TestImagery.image(300, 200, 5)), "frame.png").post("/v1/frames").then().statusCode(200);
    }

    @Test
    void frameIsCutIntoChipsWhosePixelsAndWindowsMatchTheSource() throws Exception {
        BufferedImage source = TestImagery.image(600, 400, 42);
        byte[] png = TestImagery.png(source);

        IngestResult result = upload(png, "frame.png").multiPart("centre", "8.55,47.37")
                .post("/v1/frames").then().statusCode(200).extract().as(IngestResult.class);

        // 600 x 400 at 256 px without overlap: columns at 0, 256, 344 (last shifted to the edge); rows at 0, 144
        assertThat(result.chips()).as("chip windows").extracting(c -> List.of(c.window().x(), c.window().y()))
                .containsExactly(List.of(0, 0), List.of(256, 0), List.of(344, 0),
                        List.of(0, 144), List.of(256, 144), List.of(344, 144));
        Map<String, Chip> chips = ChipTopic.read(result.chipIds());
        assertThat(chips).as("every chip committed under its id").hasSize(6);
        for (IngestResult.ChipRef ref : result.chips()) {
            Chip chip = chips.get(ref.chipId());
            assertThat(chip.getSceneId()).as("scene id").isEqualTo(result.sceneId());
            assertThat(chip.getSource()).as("frames default to DRONE").isEqualTo(Source.DRONE);
            assertThat(chip.getPlatform()).as("platform").isEqualTo("test-drone-7");
            assertThat(chip.getCapturedAt()).as("captured at").isEqualTo(java.time.Instant.parse(CAPTURED_AT));
            assertThat(chip.getGeo().getWest()).as("centre point as bounds").isEqualTo(8.55);
            BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(chip.getImage().array()));
            var w = chip.getWindow();
            assertThat(decoded.getWidth()).as("chip width").isEqualTo(256);
            for (int y = 0; y < w.getHeight(); y += 17) {
                for (int x = 0; x < w.getWidth(); x += 13) {
                    assertThat(decoded.getRGB(x, y) & 0xFFFFFF).as("pixel (%d,%d) of chip at (%d,%d)", x, y, w.getX(), w.getY())
                            .isEqualTo(source.getRGB(w.getX() + x, w.getY() + y) & 0xFFFFFF);
                }
            }
        }
    }

    @Test
    void geoTiffSceneChipsCarryTheirLonLatBoundsAndReuploadIsIdempotent() throws Exception {
        // 512 x 512 px at 0.001 deg/px from (10 E, 50 N): four 256 px chips of 0.256 deg each
        byte[] tiff = TestImagery.geoTiff(TestImagery.image(512, 512, 7), 10.0, 50.0, 0.001, 0.001);

        IngestResult first = upload(tiff, "scene.tif").post("/v1/scenes").then().statusCode(200)
                .body("georeferencing", equalTo("WGS84")).extract().as(IngestResult.class);
        long offsetsAfterFirst = ChipTopic.endOffsetSum();
        IngestResult second = upload(tiff, "scene.tif").post("/v1/scenes").then().statusCode(200)
                .extract().as(IngestResult.class);

        assertThat(second.chipIds()).as("re-upload yields the same chip ids").isEqualTo(first.chipIds());
        assertThat(second.sceneId()).as("re-upload yields the same scene id").isEqualTo(first.sceneId());
        assertThat(ChipTopic.endOffsetSum()).as("re-upload writes the same keys again").isGreaterThan(offsetsAfterFirst);
        Map<String, Chip> chips = ChipTopic.read(first.chipIds());
        Chip lowerRight = chips.get(first.chips().get(3).chipId());
        assertThat(lowerRight.getWindow().getX()).as("fourth chip x").isEqualTo(256);
        assertThat(lowerRight.getWindow().getY()).as("fourth chip y").isEqualTo(256);
        assertThat(lowerRight.getGeo().getWest()).as("west").isCloseTo(10.256, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(lowerRight.getGeo().getEast()).as("east").isCloseTo(10.512, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(lowerRight.getGeo().getNorth()).as("north").isCloseTo(49.744, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(lowerRight.getGeo().getSouth()).as("south").isCloseTo(49.488, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(lowerRight.getSource()).as("scenes default to SATELLITE").isEqualTo(Source.SATELLITE);
    }

    @Test
    void sceneWithOverlapAndAProjectedCrsKeepsPixelWindowsAndSaysWhy() {
        byte[] tiff = TestImagery.geoTiffProjected(TestImagery.image(400, 300, 3), 32633, 500000, 5300000, 10, 10);

        upload(tiff, "utm.tif").multiPart("chipSize", "200").multiPart("overlap", "50")
                .post("/v1/scenes").then().statusCode(200)
                .body("georeferencing", equalTo("PIXEL_WINDOWS_ONLY"))
                .body("crs", equalTo("EPSG:32633"))
                .body("note", containsString("pixel windows"))
                // step 150: columns 0, 150, 200 (edge); rows 0, 100 (edge)
                .body("chipCount", equalTo(6))
                .body("chips[1].window.x", equalTo(150));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "missing platform     | platform   |                       | 400 | INVALID_PLATFORM    | platform",
        "bad timestamp        | capturedAt | yesterday             | 400 | INVALID_CAPTURED_AT | ISO-8601",
        "future timestamp     | capturedAt | 2999-01-01T00:00:00Z  | 400 | INVALID_CAPTURED_AT | future",
        "bbox outside range   | bbox       | 10,50,190,51          | 400 | INVALID_BOUNDS      | -180..180",
        "bbox min above max   | bbox       | 10,51,11,50           | 400 | INVALID_BOUNDS      | must not be greater",
        "bbox not numbers     | bbox       | a,b,c,d               | 400 | INVALID_BOUNDS      | not a number",
        "unknown source       | source     | BALLOON               | 400 | INVALID_SOURCE      | DRONE",
        "far-future year      | capturedAt | +10000-01-01T00:00:00Z | 400 | INVALID_CAPTURED_AT | future",
        "before aerial images | capturedAt | 1859-01-01T00:00:00Z  | 400 | INVALID_CAPTURED_AT | 1960",
        "timestamp, no zone   | capturedAt | 2025-11-01T10:00:00   | 400 | INVALID_CAPTURED_AT | zone",
        "centre not finite    | centre     | 1e999,47              | 400 | INVALID_BOUNDS      | finite",
        "centre NaN           | centre     | NaN,47                | 400 | INVALID_BOUNDS      | finite",
        "bbox of 5 numbers    | bbox       | 1,2,3,4,5             | 400 | INVALID_BOUNDS      | west,south,east,north",
        "platform with spaces | platform   | drone 1; rm -rf       | 400 | INVALID_PLATFORM    | letters, digits",
        "label with controls  | sceneLabel | lake\u0007side        | 400 | INVALID_SCENE_LABEL | sceneLabel",
    })
    void invalidMetadataIsRejectedAndNothingIsWritten(String name, String field, String value, int status,
                                                      String reason, String message) throws Exception {
        long before = ChipTopic.endOffsetSum();
        RequestSpecification request = given().header("X-API-Key", INGEST_KEY)
                .multiPart("image", "frame.png", TestImagery.png(64, 64, 1));
        Map<String, String> fields = new java.util.HashMap<>(Map.of("platform", "test-drone-7", "capturedAt", CAPTURED_AT));
        if (value == null) {
            fields.remove(field);
        } else {
            fields.put(field, value);
        }
        fields.forEach(request::multiPart);

        expectProblem(request.post("/v1/frames").then(), status, reason, message);
        assertThat(ChipTopic.endOffsetSum()).as("nothing written for " + name).isEqualTo(before);
    }

    @Test
    void metadataThatIsHugeOrNotUtf8IsRefused() throws Exception {
        long before = ChipTopic.endOffsetSum();
        byte[] png = TestImagery.png(64, 64, 1);
        expectProblem(given().header("X-API-Key", INGEST_KEY).multiPart("image", "f.png", png)
                .multiPart("platform", "p".repeat(100_000)).multiPart("capturedAt", CAPTURED_AT).post("/v1/frames")
                .then(), 400, "INVALID_PLATFORM", "1-100 characters");
        byte[] notUtf8 = {'u', 'a', 'v', (byte) 0xC3, (byte) 0x28};
        expectProblem(given().header("X-API-Key", INGEST_KEY).multiPart("image", "f.png", png)
                .multiPart(new io.restassured.builder.MultiPartSpecBuilder(notUtf8).controlName("platform")
                        .emptyFileName().mimeType("text/plain; charset=UTF-8").build())
                .multiPart("capturedAt", CAPTURED_AT).post("/v1/frames").then(), 400, "INVALID_PLATFORM", "platform");
        expectProblem(given().header("X-API-Key", INGEST_KEY).multiPart("image", "f.png", png)
                .multiPart("platform", "uav-1").multiPart("capturedAt", "2025-11-01T10:00:00Z".repeat(5_000))
                .post("/v1/frames").then(), 400, "INVALID_CAPTURED_AT", "ISO-8601");
        assertThat(ChipTopic.endOffsetSum()).as("nothing written").isEqualTo(before);
    }

    @Test
    void badImagesAreRejectedWithTheirReasonAndNothingIsWritten() throws Exception {
        long before = ChipTopic.endOffsetSum();
        byte[] png = TestImagery.png(300, 300, 5);

        expectProblem(upload(TestImagery.truncated(png), "cut.png").post("/v1/frames").then(), 400, "TRUNCATED", "");
        expectProblem(upload(corrupt(png), "corrupt.png").post("/v1/frames").then(), 400, null, "");
        expectProblem(upload("GIF89a not really".getBytes(), "x.gif").post("/v1/frames").then(), 415,
                "UNSUPPORTED_FORMAT", "");
        expectProblem(upload(TestImagery.tiff(TestImagery.image(64, 64, 1)), "x.tif").post("/v1/frames").then(), 415,
                "UNSUPPORTED_FORMAT", "/v1/scenes");
        expectProblem(upload(TestImagery.pngBomb(9_000, 9_000), "bomb.png").post("/v1/frames").then(), 413,
                "TOO_MANY_PIXELS", "");
        expectProblem(upload(new byte[0], "empty.png").post("/v1/frames").then(), 400, "EMPTY", "");
        expectProblem(given().header("X-API-Key", INGEST_KEY).multiPart("platform", "p")
                .multiPart("capturedAt", CAPTURED_AT).post("/v1/frames").then(), 400, "MISSING_IMAGE", "form field 'image'");
        expectProblem(upload(png, "f.png").multiPart("chipSize", "10").post("/v1/scenes").then(), 400,
                "INVALID_TILING", "chipSize");

        assertThat(ChipTopic.endOffsetSum()).as("nothing written for bad images").isEqualTo(before);
    }

    @Test
    void callsWithoutAValidKeyOrRoleAreRefused() {
        byte[] png = TestImagery.png(64, 64, 1);
        expectProblem(given().multiPart("image", "f.png", png).post("/v1/frames").then(), 401, "UNAUTHENTICATED", "API key")
                .header("WWW-Authenticate", startsWith("Bearer"));
        expectProblem(given().header("Authorization", "Bearer wrong-key-wrong-key").multiPart("image", "f.png", png)
                .post("/v1/frames").then(), 401, "UNAUTHENTICATED", "");
        expectProblem(given().header("X-API-Key", ANALYST_KEY).multiPart("image", "f.png", png)
                .post("/v1/frames").then(), 403, "FORBIDDEN", "");
    }

    @Test
    void healthMetricsAndOpenApiAreServed() {
        upload(TestImagery.png(64, 64, 99), "small.png").post("/v1/frames").then().statusCode(200);
        given().get("/q/health/ready").then().statusCode(200).body("checks.find { it.name == 'kafka' }.status", equalTo("UP"));
        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("pirstream_ingest_chips_total{kind=\"FRAME\"}"))
                .body(containsString("pirstream_ingest_rejects_total"));
        given().get("/q/openapi").then().statusCode(200).body(containsString("/v1/scenes"));
    }

    static ValidatableResponse expectProblem(ValidatableResponse response, int status, String reason, String message) {
        response.statusCode(status).contentType("application/problem+json").body("status", equalTo(status))
                .body("detail", containsString(message));
        if (reason != null) {
            response.body("reason", equalTo(reason));
        }
        return response;
    }

    private static byte[] corrupt(byte[] png) {
        byte[] copy = png.clone();
        for (int i = 100; i < copy.length - 20; i += 7) {
            copy[i] = (byte) ~copy[i];
        }
        return copy;
    }
}
