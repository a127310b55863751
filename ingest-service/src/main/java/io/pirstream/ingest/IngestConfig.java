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

    DropFolder dropFolder();

    /** The watched folder for drone frames. */
    interface DropFolder {
        /** Folder watched for drone frames; unset disables the watcher. */
        Optional<String> path();

        /** Platform recorded for dropped frames without a sidecar. */
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
