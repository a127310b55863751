package io.pirstream.model.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads Karpathy-style caption files as used by RSICD, RSITMD and UCM-Captions:
 * {@code {"images": [{"filename", "split", "label"?, "sentences": [{"raw"}]}]}}, images under
 * {@code images/} next to the JSON (or under {@code imageDir}).
 */
public final class KarpathyCaptions {

    private static final Set<String> KNOWN_SPLITS = Set.of("train", "val", "test", "restval");

    private KarpathyCaptions() {
    }

    /** Reads the samples of one split from {@code root/dataset.json} and {@code root/images}. */
    public static List<Sample> read(Path root, Split split) {
        return read(root.resolve("dataset.json"), root.resolve("images"), split, root.getFileName().toString());
    }

    /**
     * Reads the samples of one split.
     *
     * @throws IllegalArgumentException if the file or an image is missing, or a record has an unknown split
     */
    public static List<Sample> read(Path json, Path imageDir, Split split, String source) {
        if (!Files.isRegularFile(json)) {
            throw new IllegalArgumentException("caption file not found: " + json);
        }
        if (!Files.isDirectory(imageDir)) {
            throw new IllegalArgumentException("image folder not found: " + imageDir);
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse caption file " + json + ": " + e.getMessage(), e);
        }
        JsonNode images = root.get("images");
        if (images == null || !images.isArray()) {
            throw new IllegalArgumentException(json + " has no 'images' array (not a Karpathy-style caption file)");
        }
        List<Sample> out = new ArrayList<>();
        for (JsonNode image : images) {
            String filename = text(image, "filename", json);
            String s = text(image, "split", json);
            if (!KNOWN_SPLITS.contains(s)) {
                throw new IllegalArgumentException(json + ": image " + filename + " has unknown split '" + s + "'");
            }
            // Karpathy's "restval" is training data
            String effective = "restval".equals(s) ? "train" : s;
            if (!effective.equals(split.key())) {
                continue;
            }
            Path file = imageDir.resolve(filename);
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException(json + " names an image that does not exist: " + file);
            }
            List<String> captions = new ArrayList<>();
            JsonNode sentences = image.get("sentences");
            if (sentences != null) {
                for (JsonNode sentence : sentences) {
                    JsonNode raw = sentence.get("raw");
                    if (raw != null && !raw.asText().isBlank()) {
                        captions.add(raw.asText().trim());
                    }
                }
            }
            JsonNode label = image.get("label");
            String l = label == null || label.isNull() ? null : label.asText();
            out.add(new Sample(source + "/" + filename, file, captions, l, source));
        }
        return out;
    }

    private static String text(JsonNode node, String field, Path json) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException(json + ": an image record lacks '" + field + "'");
        }
        return v.asText();
    }
}
