package io.pirstream.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Stream;

/** Finds what must never be logged (API keys, credentials, image bytes) in the service logs of a run. */
final class LogLeaks {

    /** Fragments that mean a credential or raw image bytes were written: headers, PNG/JPEG magic, base64 PNG. */
    private static final List<String> FORBIDDEN = List.of("Bearer pir_", "X-API-Key:", "Authorization:",
            "\u0089PNG", "\u00FF\u00D8\u00FF", "iVBORw0KGgo", "password=", "sasl.jaas.config=org");

    private LogLeaks() {
    }

    /** Every line of every {@code *.log} under {@code logs} that holds a secret or a forbidden fragment. */
    static List<String> find(Path logs, Collection<String> secrets) throws IOException {
        List<String> leaks = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> all = Files.walk(logs)) {
            files = all.filter(f -> f.toString().endsWith(".log")).toList();
        }
        if (files.isEmpty()) {
            throw new IllegalStateException("no *.log files under " + logs + ": nothing was checked");
        }
        for (Path file : files) {
            // ISO-8859-1 maps every byte to one char, so binary garbage is seen as it is
            for (String line : Files.readAllLines(file, StandardCharsets.ISO_8859_1)) {
                boolean leak = secrets.stream().anyMatch(line::contains) || FORBIDDEN.stream().anyMatch(line::contains);
                if (leak) {
                    String shown = line.substring(0, Math.min(200, line.length()));
                    for (String secret : secrets) {
                        shown = shown.replace(secret, "<secret>");
                    }
                    leaks.add(file.getFileName() + ": " + shown);
                }
            }
        }
        return leaks;
    }
}
