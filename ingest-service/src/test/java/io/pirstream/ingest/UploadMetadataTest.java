package io.pirstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pirstream.service.api.ProblemException;
import io.pirstream.schemas.avro.Source;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class UploadMetadataTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-26T12:00:00Z"), ZoneOffset.UTC);
    private static final Duration SKEW = Duration.ofMinutes(5);

    private static UploadMetadata parse(String source, String capturedAt, String bbox, String centre) {
        return UploadMetadata.parse(source, "uav-1", capturedAt, bbox, centre, null, Source.DRONE, CLOCK, SKEW);
    }

    @Test
    void acceptsOffsetsAndDefaultsTheSource() {
        UploadMetadata metadata = parse(null, "2026-11-26T13:00:00+02:00", "10,50,10.5,50.5", null);
        assertThat(metadata.source()).as("default source").isEqualTo(Source.DRONE);
        assertThat(metadata.capturedAt()).as("offset normalised to UTC").isEqualTo(Instant.parse("2026-11-26T11:00:00Z"));
        assertThat(metadata.bounds()).as("bbox").get().extracting(b -> b.east()).isEqualTo(10.5);
    }

    @Test
    void toleratesClockSkewButNotTheFuture() {
        assertThat(parse(null, "2026-11-26T12:04:00Z", null, null).capturedAt()).as("4 minutes ahead is skew")
                .isEqualTo(Instant.parse("2026-11-26T12:04:00Z"));
        assertThatThrownBy(() -> parse(null, "2026-11-26T12:06:00Z", null, null)).as("6 minutes ahead")
                .isInstanceOf(ProblemException.class).hasMessageContaining("future");
    }

    @Test
    void rejectsBothBboxAndCentre() {
        assertThatThrownBy(() -> parse(null, "2026-11-26T11:00:00Z", "10,50,11,51", "10,50")).as("both given")
                .isInstanceOf(ProblemException.class).hasMessageContaining("either 'bbox' or 'centre'");
    }

    @Test
    void timestampWithoutZoneIsRefusedWithAnExample() {
        assertThatThrownBy(() -> parse(null, "2026-11-26T11:00:00", null, null)).as("no zone")
                .isInstanceOf(ProblemException.class).hasMessageContaining("2026-11-26T10:15:30Z");
    }

    @Test
    void centreLatitudeOutOfRangeIsNamed() {
        assertThatThrownBy(() -> parse(null, "2026-11-26T11:00:00Z", null, "10,95")).as("lat 95")
                .isInstanceOf(ProblemException.class).hasMessageContaining("-90..90");
    }
}
