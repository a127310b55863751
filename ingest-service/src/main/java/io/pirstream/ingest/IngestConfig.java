package io.pirstream.ingest;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** How uploads are validated and cut ({@code pirstream.ingest.*}). */
@ConfigMapping(prefix = "pirstream.ingest")
public interface IngestConfig {

    /** Chip side in pixels. */
    @WithDefault("256")
    int chipSize();

    /** Default overlap between neighbouring chips of a scene, in pixels. */
    @WithDefault("0")
    int overlap();

    /** Smallest chip side a scene upload may ask for: smaller chips multiply the work per pixel. */
    @WithDefault("32")
    int minChipSize();

    /** Largest chip side a scene upload may ask for. */
    @WithDefault("2048")
    int maxChipSize();

    /**
     * Most chips one upload may become; more are refused (413) from the header, before decoding. The default covers
     * a 12000 x 12000 px scene at 256 px chips with 32 px overlap (2,916 chips) with room to spare.
     */
    @WithDefault("10000")
    int maxChips();

    /**
     * Uploads read, decoded and cut at the same time; others wait up to {@link #busyWait()} and are then refused
     * with 503. Each may hold a raster of up to {@link #maxPixels()} x 4 bytes.
     */
    @WithDefault("2")
    int maxConcurrentUploads();

    /** How long an upload waits for a decoding slot before 503 (also its {@code Retry-After}). */
    @WithDefault("2s")
    Duration busyWait();

    /** Largest frame upload accepted. */
    @WithDefault("33554432")
    long maxFrameBytes();

    /** Largest scene upload accepted. */
    @WithDefault("536870912")
    long maxSceneBytes();

    /** Most pixels (width x height) a frame or scene may have; larger ones are refused unread. */
    @WithDefault("150000000")
    long maxPixels();

    /** Captured-at may lie at most this far in the future (clock skew). */
    @WithDefault("5m")
    Duration maxClockSkew();

    /**
     * Names this instance's transactional producers ({@code pirstream-ingest-<id>-<slot>}); unset: the host name and
     * the HTTP port. It must stay the same across restarts, so that a restarted instance fences the producers of its
     * previous run and aborts their open transactions at once, and it must differ between replicas, which would
     * otherwise fence each other's uploads.
     */
    Optional<String> instanceId();

    /**
     * Folder where an upload's encoded chips wait until all are made (a file per upload in progress, deleted when it
     * ends; up to the upload's encoded chips in size); unset: the JVM's temporary folder.
     */
    Optional<String> spoolDir();

    DropFolder dropFolder();

    /** The watched folder for drone frames, with a {@code scenes/} sub-folder for scenes. */
    interface DropFolder {
        /** Folder watched for drone frames (scenes in its {@code scenes/} sub-folder); unset disables the watcher. */
        Optional<String> path();

        /** Platform recorded for dropped files without a sidecar. */
        @WithDefault("drop-folder")
        String platform();

        /** How often the folder is scanned (read by the scheduler, declared here for documentation). */
        @WithDefault("1s")
        Duration pollInterval();

        /** A file is taken only once it has not changed for this long (it may still be being copied). */
        @WithDefault("2s")
        Duration settleTime();
    }
}
