package io.pirstream.ingest;

import static io.pirstream.ingest.IngestApiIT.expectProblem;
import static io.pirstream.ingest.IngestApiIT.upload;
import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.testkit.imagery.HostileImages;
import io.pirstream.testkit.quarkus.EmbeddedKafkaResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The hostile-image corpus over HTTP: a refused file gets its status and reason as problem+json and writes nothing. */
@QuarkusTest
@QuarkusTestResource(EmbeddedKafkaResource.class)
class HostileUploadIT {

    static Stream<HostileImages.Case> corpus() {
        return HostileImages.cases().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void eachUploadGetsItsOutcome(HostileImages.Case file) throws Exception {
        long before = ChipTopic.endOffsetSum();
        var response = upload(file.bytes(), "upload").post("/v1/scenes").then();
        if (file.outcome().equals(HostileImages.ACCEPTED)) {
            response.statusCode(200);
            return;
        }
        int status = switch (file.outcome()) {
            case "TOO_LARGE_BYTES", "TOO_MANY_PIXELS", "SIDE_TOO_LONG" -> 413;
            case "UNSUPPORTED_FORMAT" -> 415;
            default -> 400;
        };
        expectProblem(response, status, file.outcome(), "");
        assertThat(ChipTopic.endOffsetSum()).as("nothing written for " + file.name()).isEqualTo(before);
    }
}
