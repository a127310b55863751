package io.pirstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.schemas.avro.Source;
import io.pirstream.service.api.ProblemException;
import io.pirstream.testkit.fuzz.FuzzLoop;
import io.pirstream.testkit.fuzz.Mutator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the metadata parsers (upload form fields, drop-folder sidecars) for a fixed time: every input must parse
 * or be refused with a 400 problem. Not part of the default build: {@code ./mvnw -Pfuzz -pl ingest-service test}.
 */
class MetadataFuzz {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-26T12:00:00Z"), ZoneOffset.UTC);
    private static final Predicate<Throwable> BAD_REQUEST = thrown -> thrown instanceof ProblemException problem
            && problem.problem().status() == 400 && problem.problem().detail() != null;

    @Test
    void formFieldsParseOrAreRefusedWith400() {
        List<byte[]> seeds = List.of(
                utf8("DRONE|uav-1|2025-11-01T10:00:00Z|10,50,10.1,50.1||harbour"),
                utf8("satellite|sentinel-2a|2025-11-01T10:00:00+02:00||8.5,47.3|"),
                utf8("|p.q:r_s-t|1999-12-31T23:59:59.999999999-12:00|-180,-90,180,90||dense residential"));
        FuzzLoop.Report report = run("upload-metadata", seeds, input -> {
            String[] f = (new String(input, StandardCharsets.UTF_8) + "|||||").split("\\|", -1);
            UploadMetadata.parse(f[0], f[1], f[2], f[3], f[4], f[5], Source.DRONE, CLOCK, Duration.ofMinutes(5));
        });
        assertThat(report.findings()).as(report.summary()).isEmpty();
    }

    @Test
    void sidecarsParseOrAreRefusedWith400() {
        List<byte[]> seeds = List.of(
                utf8("{\"platform\": \"dji-m300\", \"capturedAt\": \"2025-11-20T08:00:00Z\", \"centre\": \"8.5,47.3\"}"),
                utf8("{\"kind\": \"SCENE\", \"chipSize\": 128, \"overlap\": \"28\", \"bbox\": \"1,2,3,4\"}"),
                utf8("{\"source\": null, \"sceneLabel\": \"forest\", \"platform\": [1, {\"a\": []}]}"));
        FuzzLoop.Report report = run("sidecar", seeds, input -> Sidecar.parse("fuzz.json", input));
        assertThat(report.findings()).as(report.summary()).isEmpty();
    }

    private static FuzzLoop.Report run(String name, List<byte[]> seeds, FuzzLoop.Target target) {
        long seed = Long.getLong("pirstream.fuzz.seed", 12);
        Duration duration = Duration.ofSeconds(Long.getLong("pirstream.fuzz.seconds", 60));
        FuzzLoop.Report report = FuzzLoop.run(name, new Mutator(seed, seeds, 4096), seed, duration,
                Duration.ofSeconds(10), target, BAD_REQUEST, Path.of("target", "fuzz-findings"));
        System.out.println("FUZZ " + report.summary());
        return report;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
