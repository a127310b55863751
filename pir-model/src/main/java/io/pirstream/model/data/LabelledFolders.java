package io.pirstream.model.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads label-only image sets described by a CSV {@code file,label,split} (header required, file
 * relative to {@code images/}), like RSSCN7 here. Such samples have no captions; their text comes
 * from {@link ClassDescriptions}.
 */
public final class LabelledFolders {

    private LabelledFolders() {
    }

    /** Reads one split from {@code root/labels.csv} and {@code root/images}. */
    public static List<Sample> read(Path root, Split split) {
        Path csv = root.resolve("labels.csv");
        Path imageDir = root.resolve("images");
        if (!Files.isRegularFile(csv)) {
            throw new IllegalArgumentException("label file not found: " + csv);
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(csv);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + csv, e);
        }
        if (lines.isEmpty() || !lines.get(0).trim().equals("file,label,split")) {
            throw new IllegalArgumentException(csv + ": expected header 'file,label,split'");
        }
        String source = root.getFileName().toString();
        List<Sample> out = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i).trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split(",");
            if (parts.length != 3) {
                throw new IllegalArgumentException(csv + " line " + (i + 1) + ": expected 3 fields, got '" + line + "'");
            }
            if (Split.parse(parts[2].trim()) != split) {
                continue;
            }
            Path file = imageDir.resolve(parts[0].trim());
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException(csv + " line " + (i + 1) + " names an image that does not exist: " + file);
            }
            out.add(new Sample(source + "/" + parts[0].trim(), file, List.of(), parts[1].trim(), source));
        }
        return out;
    }
}
