package io.pirstream.ingest;

import io.pirstream.service.api.ProblemException;
import io.pirstream.ingest.imagery.GeoBounds;
import io.pirstream.schemas.avro.Source;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What an uploader tells us about a frame or scene, validated.
 *
 * @param source drone or satellite
 * @param platform the drone's or satellite's identifier
 * @param capturedAt when the imagery was taken
 * @param bounds optional lon/lat footprint of the whole image (north-up); a centre point gives a degenerate box
 * @param sceneLabel optional scene class the uploader knows
 */
public record UploadMetadata(Source source, String platform, Instant capturedAt, Optional<GeoBounds> bounds,
                             Optional<String> sceneLabel) {

    private static final Pattern PLATFORM = Pattern.compile("[A-Za-z0-9._:-]{1,100}");
    private static final Pattern LABEL = Pattern.compile("[a-z0-9_ -]{1,64}");

    /**
     * Validates raw form values. Each problem names the field, what was sent and what is expected.
     *
     * @throws ProblemException (400) for the first invalid field
     */
    public static UploadMetadata parse(String source, String platform, String capturedAt, String bbox, String centre,
                                       String sceneLabel, Source defaultSource, Clock clock, Duration maxClockSkew) {
        Source parsedSource = parseSource(source, defaultSource);
        if (platform == null || !PLATFORM.matcher(platform).matches()) {
            throw ProblemException.badRequest("INVALID_PLATFORM", "Field 'platform' must be 1-100 characters of"
                    + " letters, digits, '.', '_', ':' or '-' (the drone or satellite id); got "
                    + (platform == null ? "nothing" : "'" + platform + "'"));
        }
        Instant captured = parseTime(capturedAt, clock, maxClockSkew);
        if (bbox != null && !bbox.isBlank() && centre != null && !centre.isBlank()) {
            throw ProblemException.badRequest("INVALID_BOUNDS", "Send either 'bbox' or 'centre', not both");
        }
        Optional<GeoBounds> bounds = Optional.empty();
        if (bbox != null && !bbox.isBlank()) {
            double[] v = numbers("bbox", bbox, 4, "west,south,east,north in degrees, e.g. 10.0,50.0,10.1,50.1");
            bounds = Optional.of(bounds(v[0], v[1], v[2], v[3], "bbox"));
        } else if (centre != null && !centre.isBlank()) {
            double[] v = numbers("centre", centre, 2, "lon,lat in degrees, e.g. 10.05,50.05");
            bounds = Optional.of(bounds(v[0], v[1], v[0], v[1], "centre"));
        }
        Optional<String> label = Optional.ofNullable(sceneLabel).filter(s -> !s.isBlank())
                .map(s -> s.trim().toLowerCase(Locale.ROOT));
        if (label.isPresent() && !LABEL.matcher(label.get()).matches()) {
            throw ProblemException.badRequest("INVALID_SCENE_LABEL", "Field 'sceneLabel' must be 1-64 characters of"
                    + " lower-case letters, digits, spaces, '_' or '-'; got '" + sceneLabel + "'");
        }
        return new UploadMetadata(parsedSource, platform, captured, bounds, label);
    }

    private static Source parseSource(String source, Source defaultSource) {
        if (source == null || source.isBlank()) {
            return defaultSource;
        }
        try {
            return Source.valueOf(source.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest("INVALID_SOURCE", "Field 'source' must be one of "
                    + Arrays.toString(Source.values()) + "; got '" + source + "'");
        }
    }

    private static Instant parseTime(String value, Clock clock, Duration maxClockSkew) {
        if (value == null || value.isBlank()) {
            throw ProblemException.badRequest("INVALID_CAPTURED_AT", "Field 'capturedAt' is required: when the imagery"
                    + " was taken, ISO-8601 with a zone, e.g. 2026-11-26T10:15:30Z");
        }
        Instant instant;
        try {
            instant = java.time.OffsetDateTime.parse(value.trim()).toInstant();
        } catch (DateTimeParseException e) {
            throw ProblemException.badRequest("INVALID_CAPTURED_AT", "Field 'capturedAt' is not an ISO-8601 timestamp"
                    + " with a zone: '" + value + "' (expected e.g. 2026-11-26T10:15:30Z)");
        }
        Instant latest = clock.instant().plus(maxClockSkew);
        if (instant.isAfter(latest)) {
            throw ProblemException.badRequest("INVALID_CAPTURED_AT", "Field 'capturedAt' " + instant
                    + " lies in the future (now is " + clock.instant() + "); check the platform's clock");
        }
        if (instant.isBefore(Instant.parse("1960-01-01T00:00:00Z"))) {
            throw ProblemException.badRequest("INVALID_CAPTURED_AT", "Field 'capturedAt' " + instant
                    + " predates aerial imagery archives (1960); check the value");
        }
        return instant;
    }

    private static double[] numbers(String field, String value, int count, String expected) {
        String[] parts = value.split(",");
        if (parts.length != count) {
            throw ProblemException.badRequest("INVALID_BOUNDS", "Field '" + field + "' must be " + expected + "; got '"
                    + value + "'");
        }
        double[] numbers = new double[count];
        for (int i = 0; i < count; i++) {
            try {
                numbers[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw ProblemException.badRequest("INVALID_BOUNDS", "Field '" + field + "' must be " + expected
                        + "; '" + parts[i].trim() + "' is not a number");
            }
            if (!Double.isFinite(numbers[i])) {
                throw ProblemException.badRequest("INVALID_BOUNDS", "Field '" + field + "' must hold finite numbers");
            }
        }
        return numbers;
    }

    private static GeoBounds bounds(double west, double south, double east, double north, String field) {
        try {
            return new GeoBounds(west, south, east, north);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest("INVALID_BOUNDS", "Field '" + field + "': " + e.getMessage());
        }
    }
}
