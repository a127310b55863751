package io.pirstream.ingest;

import io.pirstream.ingest.imagery.Tiler;
import io.pirstream.schemas.avro.Source;
import io.pirstream.service.api.ProblemException;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * Ingests files dropped into a folder: frames in the folder itself, scenes in its {@code scenes/} sub-folder (or
 * anywhere, with {@code "kind": "SCENE"} in the sidecar). Each settled file is ingested once, then moved to the
 * {@code done/} beside it, or to {@code failed/} with a {@code <name>.reason.txt}. A file is left in place (and
 * retried) only while this service is busy or Kafka is unavailable. Metadata comes from an optional sidecar
 * {@code <name>.json} (see {@link Sidecar}); without one, the platform is the configured default and capturedAt the
 * file's modification time.
 *
 * <p>One file never holds up the others: a file that vanishes is skipped, one that cannot be read is failed, and
 * one that cannot even be moved is reported once and left. A file is measured before it is read and refused when
 * larger than an upload may be; a symbolic link is followed only to a file inside the drop folder.
 *
 * <p>If the service stops between the Kafka commit and the move, the file is ingested again on the next run;
 * chip ids are derived from content, so that produces the same keys and no new chips downstream.
 */
@ApplicationScoped
public class DropFolderWatcher {

    /** Sub-folder whose files are scenes. */
    static final String SCENES = "scenes";

    private static final Logger LOG = Logger.getLogger(DropFolderWatcher.class);

    private final IngestService ingest;
    private final IngestConfig.DropFolder config;
    /** Files that could be neither ingested nor moved, reported once each rather than every poll. */
    private final Set<Path> stuck = new HashSet<>();

    public DropFolderWatcher(IngestService ingest, IngestConfig config) {
        this.ingest = ingest;
        this.config = config.dropFolder();
    }

    @Scheduled(every = "${pirstream.ingest.drop-folder.poll-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Disabled.class)
    void poll() {
        scan(Path.of(config.path().orElseThrow()));
    }

    /** Skips polling when no folder is configured. */
    @ApplicationScoped
    public static class Disabled implements Scheduled.SkipPredicate {
        private final IngestConfig config;

        public Disabled(IngestConfig config) {
            this.config = config;
        }

        @Override
        public boolean test(io.quarkus.scheduler.ScheduledExecution execution) {
            return config.dropFolder().path().isEmpty();
        }
    }

    /** Ingests every settled file in {@code root} and its scenes sub-folder; returns how many files were moved. */
    int scan(Path root) {
        Path realRoot;
        try {
            Files.createDirectories(root.resolve(SCENES));
            realRoot = root.toRealPath();
        } catch (IOException e) {
            LOG.errorf("Cannot use drop folder %s: %s", root, e.getMessage());
            return 0;
        }
        return scan(realRoot, realRoot, IngestService.Kind.FRAME) + scan(realRoot, realRoot.resolve(SCENES),
                IngestService.Kind.SCENE);
    }

    private int scan(Path root, Path folder, IngestService.Kind kind) {
        List<Path> candidates;
        try {
            Files.createDirectories(folder.resolve("done"));
            Files.createDirectories(folder.resolve("failed"));
            try (Stream<Path> files = Files.list(folder)) {
                candidates = files.filter(DropFolderWatcher::isCandidate).sorted().toList();
            }
        } catch (IOException e) {
            LOG.errorf("Cannot scan drop folder %s: %s", folder, e.getMessage());
            return 0;
        }
        int moved = 0;
        for (Path file : candidates) {
            try {
                if (settled(file) && ingestOne(root, folder, file, kind)) {
                    moved++;
                }
            } catch (NoSuchFileException e) {
                LOG.infof("Dropped file %s vanished before it was ingested", file.getFileName());
            } catch (IOException | RuntimeException e) {
                if (stuck.add(file)) {
                    LOG.errorf("Dropped file %s can be neither ingested nor moved aside (%s); the others go on",
                            file.getFileName(), e.toString());
                }
            }
        }
        return moved;
    }

    /** A file or link that is not a sidecar, a partial copy, a reason or hidden. */
    private static boolean isCandidate(Path file) {
        String name = file.getFileName().toString();
        boolean fileOrLink = Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(file);
        return fileOrLink && !name.startsWith(".") && !name.endsWith(".json") && !name.endsWith(".part")
                && !name.endsWith(".tmp");
    }

    private boolean settled(Path file) throws IOException {
        return Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toInstant().plus(config.settleTime())
                .isBefore(Instant.now());
    }

    /** Returns true when the file was moved (ingested or failed), false when it stays for a retry. */
    private boolean ingestOne(Path root, Path folder, Path file, IngestService.Kind folderKind) throws IOException {
        Path sidecar = file.resolveSibling(file.getFileName() + ".json");
        try {
            Path real = inside(root, file);
            Sidecar meta = Files.exists(sidecar, LinkOption.NOFOLLOW_LINKS)
                    ? Sidecar.parse(sidecar.getFileName().toString(), readSmall(root, sidecar)) : Sidecar.NONE;
            IngestService.Kind kind = meta.kind().orElse(folderKind);
            UploadMetadata metadata = metadata(real, meta, kind);
            Tiler tiler = kind == IngestService.Kind.SCENE
                    ? ingest.tiler(meta.chipSize().orElse(null), meta.overlap().orElse(null)) : ingest.defaultTiler();
            IngestResult result = ingest.ingest(kind, real, metadata, tiler);
            move(file, sidecar, folder.resolve("done"));
            LOG.infof("Ingested dropped %s %s: scene %s, %d chip(s)", kind.name().toLowerCase(java.util.Locale.ROOT),
                    file.getFileName(), result.sceneId(), result.chipCount());
            return true;
        } catch (ProblemException e) {
            if (e.problem().status() == 503) {
                LOG.warnf("%s; %s stays in the drop folder for a retry", e.problem().reason(), file.getFileName());
                return false;
            }
            fail(folder, file, sidecar, e.problem().reason() + ": " + e.problem().detail());
            return true;
        } catch (NoSuchFileException e) {
            throw e; // it vanished: nothing to fail, the scan skips it
        } catch (IOException e) {
            fail(folder, file, sidecar, "UNREADABLE: " + e.getClass().getSimpleName() + ": " + e.getMessage()
                    + " (check the file's permissions)");
            return true;
        }
    }

    private UploadMetadata metadata(Path file, Sidecar sidecar, IngestService.Kind kind) throws IOException {
        String capturedAt = sidecar.capturedAt().orElse(Files.getLastModifiedTime(file).toInstant().toString());
        Source defaultSource = kind == IngestService.Kind.SCENE ? Source.SATELLITE : Source.DRONE;
        try {
            return UploadMetadata.parse(sidecar.source().orElse(null), sidecar.platform().orElse(config.platform()),
                    capturedAt, sidecar.bbox().orElse(null), sidecar.centre().orElse(null),
                    sidecar.sceneLabel().orElse(null), defaultSource, ingest.clock(), ingest.config().maxClockSkew());
        } catch (ProblemException e) {
            throw ingest.reject(e.problem().reason(), e.problem().detail());
        }
    }

    /**
     * The file to read: {@code file} itself, or where its symbolic link leads if that is inside the drop folder.
     *
     * @throws ProblemException (400, {@code SYMLINK_OUTSIDE_FOLDER}) for a link that leads out of the folder
     */
    private Path inside(Path root, Path file) throws IOException {
        Path real;
        try {
            real = file.toRealPath();
        } catch (NoSuchFileException e) {
            if (Files.isSymbolicLink(file)) {
                throw ingest.reject("SYMLINK_DANGLING", file.getFileName() + " is a symbolic link to "
                        + Files.readSymbolicLink(file) + ", which does not exist");
            }
            throw e;
        }
        if (!real.startsWith(root)) {
            throw ingest.reject("SYMLINK_OUTSIDE_FOLDER", file.getFileName() + " is a symbolic link to a file outside"
                    + " the drop folder; links are followed only inside it: copy the file in instead");
        }
        return real;
    }

    private byte[] readSmall(Path root, Path sidecar) throws IOException {
        Path real = inside(root, sidecar);
        try (InputStream in = Files.newInputStream(real, LinkOption.NOFOLLOW_LINKS)) {
            byte[] bytes = in.readNBytes(Sidecar.MAX_BYTES + 1);
            if (bytes.length > Sidecar.MAX_BYTES) {
                throw ingest.reject("INVALID_SIDECAR", "Sidecar " + sidecar.getFileName() + " is larger than "
                        + Sidecar.MAX_BYTES + " bytes; it holds metadata only");
            }
            return bytes;
        }
    }

    private void fail(Path folder, Path file, Path sidecar, String reason) throws IOException {
        Path failed = folder.resolve("failed");
        Files.writeString(failed.resolve(file.getFileName() + ".reason.txt"), reason + System.lineSeparator());
        move(file, sidecar, failed);
        LOG.warnf("Rejected dropped file %s: %s", file.getFileName(), reason);
    }

    /** Moves the file (a link itself, never its target) and its sidecar. */
    private static void move(Path file, Path sidecar, Path target) throws IOException {
        Files.move(file, target.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        if (Files.exists(sidecar, LinkOption.NOFOLLOW_LINKS)) {
            Files.move(sidecar, target.resolve(sidecar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
