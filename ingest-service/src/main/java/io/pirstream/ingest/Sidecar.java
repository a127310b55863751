package io.pirstream.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pirstream.service.api.ProblemException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The metadata beside a dropped file, {@code <name>.json}: the upload's form fields ({@code source},
 * {@code platform}, {@code capturedAt}, {@code bbox}, {@code centre}, {@code sceneLabel}), plus {@code kind}
 * ({@code FRAME} or {@code SCENE}) and, for scenes, {@code chipSize} and {@code overlap}. Every value is a string
 * or a number; unknown fields are refused, so that a misspelt one is not silently ignored.
 */
record Sidecar(Optional<String> source, Optional<String> platform, Optional<String> capturedAt, Optional<String> bbox,
               Optional<String> centre, Optional<String> sceneLabel, Optional<IngestService.Kind> kind,
               Optional<Integer> chipSize, Optional<Integer> overlap) {

    /** Longest sidecar read: metadata, not data. */
    static final int MAX_BYTES = 64 * 1024;

    static final Sidecar NONE = new Sidecar(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> FIELDS = Set.of("source", "platform", "capturedAt", "bbox", "centre",
            "sceneLabel", "kind", "chipSize", "overlap");

    /**
     * @throws ProblemException (400, {@code INVALID_SIDECAR}) for anything but a JSON object of known fields
     */
    static Sidecar parse(String name, byte[] json) {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw invalid(name, "is not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw invalid(name, "cannot be parsed: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw invalid(name, "must be a JSON object of metadata fields " + FIELDS);
        }
        List<String> unknown = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!FIELDS.contains(field)) {
                unknown.add(field);
            }
        }
        if (!unknown.isEmpty()) {
            throw invalid(name, "has unknown field(s) " + unknown + "; known fields: " + FIELDS);
        }
        return new Sidecar(text(name, node, "source"), text(name, node, "platform"), text(name, node, "capturedAt"),
                text(name, node, "bbox"), text(name, node, "centre"), text(name, node, "sceneLabel"),
                text(name, node, "kind").map(kind -> kind(name, kind)), integer(name, node, "chipSize"),
                integer(name, node, "overlap"));
    }

    private static Optional<String> text(String name, JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isValueNode()) {
            throw invalid(name, "field '" + field + "' must be a string or a number, got " + value.getNodeType());
        }
        return Optional.of(value.asText());
    }

    private static Optional<Integer> integer(String name, JsonNode node, String field) {
        return text(name, node, field).map(value -> {
            try {
                return Integer.valueOf(value.trim());
            } catch (NumberFormatException e) {
                throw invalid(name, "field '" + field + "' must be a whole number of pixels, got '" + value + "'");
            }
        });
    }

    private static IngestService.Kind kind(String name, String kind) {
        try {
            return IngestService.Kind.valueOf(kind.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw invalid(name, "field 'kind' must be FRAME or SCENE, got '" + kind + "'");
        }
    }

    private static ProblemException invalid(String name, String what) {
        return ProblemException.badRequest("INVALID_SIDECAR", "Sidecar " + name + " " + what);
    }
}
