package io.pirstream.launcher;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The embedded default's API keys, one per role, so that a leaked upload key cannot search and neither can
 * administer. Each lives in {@code <data>/keys/<role>}, readable by its owner only from the moment it is created,
 * and is kept across restarts (a new one only when the file is missing or unusable).
 *
 * @param ingest key of role {@code ingest} (ingest-service uploads)
 * @param analyst key of role {@code analyst} (query-service searches)
 * @param operator key of role {@code operator} (admin actions of both services)
 */
record ApiKeys(String ingest, String analyst, String operator) {

    private static final Pattern FORMAT = Pattern.compile("pir_[a-z]+_[A-Za-z0-9_-]{32}");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Set<PosixFilePermission> OWNER_RW = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_RWX = PosixFilePermissions.fromString("rwx------");

    /** Fresh keys that are not saved anywhere (benchmarks and tests). */
    static ApiKeys random() {
        return new ApiKeys(generate("ingest"), generate("analyst"), generate("operator"));
    }

    /** The keys saved in {@code folder}, creating those that are missing or unusable. */
    static ApiKeys load(Path folder) throws IOException {
        createPrivateFolder(folder);
        return new ApiKeys(load(folder, "ingest"), load(folder, "analyst"), load(folder, "operator"));
    }

    /**
     * Another secret of the embedded default kept the same way ({@code <folder>/<name>}, e.g. the webhook signing
     * key), created when missing. The folder must exist ({@link #load(Path)} creates it).
     */
    static String secret(Path folder, String name) throws IOException {
        return load(folder, name);
    }

    /** Every key, e.g. to check that none appears in a log. */
    Set<String> all() {
        return Set.of(ingest, analyst, operator);
    }

    /** Never the keys themselves: a record would print them wherever it is logged. */
    @Override
    public String toString() {
        return "ApiKeys[ingest, analyst, operator: redacted]";
    }

    private static String load(Path folder, String role) throws IOException {
        Path file = folder.resolve(role);
        if (Files.isRegularFile(file)) {
            String saved = Files.readString(file).strip();
            if (FORMAT.matcher(saved).matches() && saved.startsWith("pir_" + role + "_")) {
                restrict(file);
                return saved;
            }
        }
        String key = generate(role);
        writePrivate(file, key + System.lineSeparator());
        return key;
    }

    /**
     * Writes a secret to a file that is private ({@code rw-------}) from its creation, then moved into place: never
     * readable by others, not even half-written. The folder must exist.
     */
    static void writePrivate(Path file, String content) throws IOException {
        Path folder = file.toAbsolutePath().getParent();
        String name = file.getFileName().toString();
        Path temporary = posix(folder)
                ? Files.createTempFile(folder, "." + name, ".tmp", PosixFilePermissions.asFileAttribute(OWNER_RW))
                : Files.createTempFile(folder, "." + name, ".tmp");
        try {
            Files.writeString(temporary, content);
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    private static String generate(String role) {
        byte[] secret = new byte[24];
        RANDOM.nextBytes(secret);
        return "pir_" + role + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }

    static void createPrivateFolder(Path folder) throws IOException {
        if (Files.isDirectory(folder)) {
            restrict(folder);
            return;
        }
        Files.createDirectories(folder.getParent());
        FileAttribute<?>[] attributes = posix(folder.getParent())
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_RWX)} : new FileAttribute<?>[0];
        try {
            Files.createDirectory(folder, attributes);
        } catch (FileAlreadyExistsException e) {
            restrict(folder); // created meanwhile by another start
        }
    }

    /** Takes group and other permissions away from a file or folder an earlier version may have left open. */
    private static void restrict(Path path) throws IOException {
        if (!posix(path)) {
            return;
        }
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path);
        if (permissions.removeIf(p -> !p.name().startsWith("OWNER_"))) {
            Files.setPosixFilePermissions(path, permissions);
        }
    }

    private static boolean posix(Path path) throws IOException {
        return Files.getFileStore(path).supportsFileAttributeView("posix");
    }
}
