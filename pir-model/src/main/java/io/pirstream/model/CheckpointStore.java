package io.pirstream.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.UUID;

/**
 * Where released checkpoints live and how a release's checkpoint is opened. A release names its checkpoint by URI:
 * {@value #BUILTIN} (the model shipped in this library) or {@code file:} the folder of a stored checkpoint
 * ({@code <root>/<version>/}). Its SHA-256 is that of the manifest ({@value Checkpoint#MANIFEST}), which records the
 * weights' SHA-256, so checking it pins both; a loader refuses a checkpoint whose hash differs from the release.
 */
public final class CheckpointStore {

    /** URI of the checkpoint shipped inside pir-model. */
    public static final String BUILTIN = "builtin:default";

    private final Path root;

    /** A checkpoint as a release refers to it. */
    public record Stored(String version, URI uri, String sha256, List<String> sceneClasses) {
    }

    /** @param root folder of the stored checkpoints, created when the first is stored */
    public CheckpointStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /**
     * Copies a checkpoint folder into the store as {@code <root>/<version>/}, atomically: a crash leaves either no
     * folder or a complete one. Storing the same checkpoint again is a no-op.
     *
     * @throws CheckpointException when the folder is not a valid checkpoint
     */
    public Stored store(Path checkpointDir) {
        Checkpoint.Loaded loaded = Checkpoint.read(checkpointDir);
        String version = loaded.manifest().version();
        Path target = root.resolve(version);
        try {
            if (!Files.isDirectory(target)) {
                Files.createDirectories(root);
                Path tmp = root.resolve("." + version + ".tmp-" + UUID.randomUUID());
                Files.createDirectories(tmp);
                for (String file : List.of(Checkpoint.WEIGHTS, Checkpoint.MANIFEST)) {
                    Files.copy(checkpointDir.resolve(file), tmp.resolve(file));
                }
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException raced) {
                    if (!Files.isDirectory(target)) {
                        throw raced;
                    }
                    deleteQuietly(tmp);
                }
            }
            Checkpoint.read(target);
            return new Stored(version, target.toUri(), sha256(target.toUri()), loaded.manifest().classes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store checkpoint " + version + " in " + root, e);
        }
    }

    /** The shipped checkpoint as a release refers to it. */
    public static Stored builtin() {
        Checkpoint.Loaded loaded = Checkpoint.readResource(PirModel.DEFAULT_RESOURCE);
        return new Stored(loaded.manifest().version(), URI.create(BUILTIN), sha256(URI.create(BUILTIN)),
                loaded.manifest().classes());
    }

    /** SHA-256 of the checkpoint's manifest. */
    public static String sha256(URI uri) {
        return Checkpoint.sha256(manifestBytes(uri));
    }

    /**
     * Reads and verifies the checkpoint a release names.
     *
     * @throws CheckpointException when it is missing, corrupted, or its manifest's SHA-256 is not {@code expectedSha256}
     */
    public static Checkpoint.Loaded read(URI uri, String expectedSha256) {
        String actual = sha256(uri);
        if (!actual.equalsIgnoreCase(expectedSha256)) {
            throw new CheckpointException("checkpoint " + uri + " has manifest SHA-256 " + actual + " but its release says "
                    + expectedSha256 + ": it was changed or replaced after release; restore it or publish a new release");
        }
        return BUILTIN.equals(uri.toString()) ? Checkpoint.readResource(PirModel.DEFAULT_RESOURCE)
                : Checkpoint.read(folder(uri));
    }

    /** Loads the model a release names, after verifying its checkpoint. */
    public static PirModel open(URI uri, String expectedSha256, DeviceChoice device) {
        return PirModel.fromLoaded(read(uri, expectedSha256), device);
    }

    private static byte[] manifestBytes(URI uri) {
        if (BUILTIN.equals(uri.toString())) {
            try (InputStream in = CheckpointStore.class.getResourceAsStream(PirModel.DEFAULT_RESOURCE + "/" + Checkpoint.MANIFEST)) {
                if (in == null) {
                    throw new CheckpointException("no shipped checkpoint on the classpath (" + PirModel.DEFAULT_RESOURCE + ")");
                }
                return in.readAllBytes();
            } catch (IOException e) {
                throw new CheckpointException("cannot read the shipped checkpoint: " + e.getMessage(), e);
            }
        }
        Path manifest = folder(uri).resolve(Checkpoint.MANIFEST);
        try {
            return Files.readAllBytes(manifest);
        } catch (IOException e) {
            throw new CheckpointException("checkpoint " + uri + " cannot be read (" + e.getMessage() + ")", e);
        }
    }

    private static Path folder(URI uri) {
        if (!"file".equals(uri.getScheme())) {
            throw new CheckpointException("unsupported checkpoint URI " + uri + ": expected file:/... or " + BUILTIN);
        }
        return Path.of(uri);
    }

    private static void deleteQuietly(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temporary folder is harmless: its name starts with a dot and is never a version
        }
    }
}
