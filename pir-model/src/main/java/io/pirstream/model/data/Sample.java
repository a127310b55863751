package io.pirstream.model.data;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * One training or evaluation image with its texts.
 *
 * @param id unique id within its data set (e.g. {@code rsicd/00001.jpg})
 * @param image image file, or {@code null} for in-memory images (generated chips)
 * @param captions human captions; empty for label-only images
 * @param label scene class, or {@code null} when unknown
 * @param source data set name
 */
public record Sample(String id, Path image, List<String> captions, String label, String source) {

    public Sample {
        Objects.requireNonNull(id, "id must not be null");
        captions = List.copyOf(captions);
    }

    /** Whether the sample carries human captions. */
    public boolean captioned() {
        return !captions.isEmpty();
    }
}
