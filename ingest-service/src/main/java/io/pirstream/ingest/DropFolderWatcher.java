package io.pirstream.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pirstream.service.api.ProblemException;
import io.pirstream.schemas.avro.Source;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * Ingests drone frames dropped into a folder. Each settled file is ingested once, then moved to {@code done/}, or
 * to {@code failed/} with a {@code <name>.reason.txt} beside it. A file is left in place (and retried) only when
 * Kafka is unavailable. Metadata comes from an optional sidecar {@code <name>.json} with the upload's form fields
 * ({@code source}, {@code platform}, {@code capturedAt}, {@code bbox}, {@code centre}, {@code sceneLabel});
 * without one, the platform is the configured default and capturedAt the file's modification time.
 *
 * <p>If the service stops between the Kafka commit and the move, the file is ingested again on the next run;
 * chip ids are derived from content, so that produces the same keys and no new chips downstream.
 */
@ApplicationScoped
public class DropFolderWatcher {

    private static final Logger LOG = Logger.getLogger(DropFolderWatcher.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final IngestService ingest;
    private final IngestConfig.DropFolder config;

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

    /** Ingests every settled frame in {@code folder}; returns how many files were moved. */
    int scan(Path folder) {
        int moved = 0;
        try {
            Files.createDirectories(folder.resolve("done"));
            Files.createDirectories(folder.resolve("failed"));
            List<Path> candidates;
            try (Stream<Path> files = Files.list(folder)) {
                candidates = files.filter(Files::isRegularFile).filter(this::isFrameCandidate).sorted().toList();
            }
            for (Path file : candidates) {
                if (settled(file) && ingestOne(folder, file)) {
                    moved++;
                }
            }
        } catch (IOException e) {
            LOG.errorf("Cannot scan drop folder %s: %s", folder, e.getMessage());
        }
        return moved;
    }

    private boolean isFrameCandidate(Path file) {
        String name = file.getFileName().toString();
        return !name.startsWith(".") && !name.endsWith(".json") && !name.endsWith(".part") && !name.endsWith(".tmp");
    }

    private boolean settled(Path file) throws IOException {
        return Files.getLastModifiedTime(file).toInstant().plus(config.settleTime()).isBefore(Instant.now());
    }

    /** Returns true when the file was moved (ingested or failed), false when it stays for a retry. */
    private boolean ingestOne(Path folder, Path file) throws IOException {
        Path sidecar = file.resolveSibling(file.getFileName() + ".json");
        try {
            UploadMetadata metadata = metadata(file, sidecar);
            IngestResult result = ingest.ingest(IngestService.Kind.FRAME, file, metadata,
                    ingest.defaultTiler());
            move(file, sidecar, folder.resolve("done"));
            LOG.infof("Ingested dropped frame %s: scene %s, %d chip(s)", file.getFileName(), result.sceneId(),
                    result.chipCount());
            return true;
        } catch (ProblemException e) {
            if (e.problem().status() == 503) {
                LOG.warnf("Kafka unavailable; %s stays in the drop folder for a retry", file.getFileName());
                return false;
            }
            Path failed = folder.resolve("failed");
            Files.writeString(failed.resolve(file.getFileName() + ".reason.txt"),
                    e.problem().reason() + ": " + e.problem().detail() + System.lineSeparator());
            move(file, sidecar, failed);
            LOG.warnf("Rejected dropped frame %s: %s", file.getFileName(), e.problem().detail());
            return true;
        }
    }

    private UploadMetadata metadata(Path file, Path sidecar) throws IOException {
        String source = null;
        String platform = config.platform();
        String capturedAt = Files.getLastModifiedTime(file).toInstant().toString();
        String bbox = null;
        String centre = null;
        String label = null;
        if (Files.exists(sidecar)) {
            JsonNode node;
            try {
                node = JSON.readTree(sidecar.toFile());
            } catch (IOException e) {
                throw ingest.reject("INVALID_SIDECAR", "Sidecar " + sidecar.getFileName() + " is not valid JSON: "
                        + e.getMessage());
            }
            source = text(node, "source").orElse(null);
            platform = text(node, "platform").orElse(platform);
            capturedAt = text(node, "capturedAt").orElse(capturedAt);
            bbox = text(node, "bbox").orElse(null);
            centre = text(node, "centre").orElse(null);
            label = text(node, "sceneLabel").orElse(null);
        }
        try {
            return UploadMetadata.parse(source, platform, capturedAt, bbox, centre, label, Source.DRONE,
                    ingest.clock(), ingest.config().maxClockSkew());
        } catch (ProblemException e) {
            throw ingest.reject(e.problem().reason(), e.problem().detail());
        }
    }

    private static Optional<String> text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? Optional.empty() : Optional.of(value.asText());
    }

    private static void move(Path file, Path sidecar, Path target) throws IOException {
        Files.move(file, target.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        if (Files.exists(sidecar)) {
            Files.move(sidecar, target.resolve(sidecar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
