package io.pirstream.ingest;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The folder where uploads are spooled while a request is read ({@code quarkus.http.body.uploads-directory}): it holds
 * users' imagery, so only this service's user may enter it. Checked at start-up, so that a folder this user cannot
 * write stops the service with its name instead of failing every upload with a 500.
 */
@ApplicationScoped
public class UploadsFolder {

    private static final Logger LOG = Logger.getLogger(UploadsFolder.class);
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    private final Path folder;

    public UploadsFolder(@ConfigProperty(name = "quarkus.http.body.uploads-directory") String folder) {
        this.folder = Path.of(folder);
    }

    void onStart(@Observes StartupEvent event) {
        try {
            Files.createDirectories(folder);
            if (Files.getFileStore(folder).supportsFileAttributeView("posix")) {
                Files.setPosixFilePermissions(folder, OWNER_ONLY);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("The uploads folder " + folder + " (quarkus.http.body.uploads-directory, env"
                    + " PIRSTREAM_INGEST_UPLOADS_DIR) cannot be made private to this user: " + e, e);
        }
        if (!Files.isWritable(folder)) {
            throw new IllegalStateException("The uploads folder " + folder + " is not writable by this user: set"
                    + " PIRSTREAM_INGEST_UPLOADS_DIR to a folder of its own");
        }
        LOG.debugf("Uploads are spooled in %s", folder);
    }
}
