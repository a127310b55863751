package io.pirstream.ingest.api;

import io.pirstream.ingest.IngestResult;
import io.pirstream.ingest.IngestService;
import io.pirstream.ingest.UploadMetadata;
import io.pirstream.ingest.imagery.Tiler;
import io.pirstream.schemas.avro.Source;
import io.pirstream.service.api.ProblemException;
import io.pirstream.service.security.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.multipart.FileUpload;

/** Upload endpoints: one drone frame, or one large scene cut into chips. */
@Path("/v1")
@RolesAllowed(Roles.INGEST)
@Consumes(MediaType.MULTIPART_FORM_DATA)
@Produces(MediaType.APPLICATION_JSON)
public class IngestResource {

    private final IngestService ingest;

    public IngestResource(IngestService ingest) {
        this.ingest = ingest;
    }

    @POST
    @Path("/frames")
    @Operation(summary = "Ingest one drone frame (JPEG or PNG)",
            description = "Form fields: image (file), source (DRONE|SATELLITE, default DRONE), platform, capturedAt"
                    + " (ISO-8601), optional bbox (west,south,east,north) or centre (lon,lat), optional sceneLabel."
                    + " The frame is cut into chips of the configured size; all chips are written in one transaction.")
    @APIResponse(responseCode = "200", description = "Chips written")
    @APIResponse(responseCode = "400", description = "Invalid metadata or corrupt image (problem+json)")
    @APIResponse(responseCode = "413", description = "Too many bytes or pixels (problem+json)")
    @APIResponse(responseCode = "415", description = "Unsupported image format (problem+json)")
    @APIResponse(responseCode = "503", description = "Busy (Retry-After) or Kafka unavailable; nothing written (problem+json)")
    public IngestResult frame(@RestForm("image") FileUpload image, @RestForm String source, @RestForm String platform,
                              @RestForm String capturedAt, @RestForm String bbox, @RestForm String centre,
                              @RestForm String sceneLabel) {
        UploadMetadata metadata = metadata(source, Source.DRONE, platform, capturedAt, bbox, centre, sceneLabel);
        return ingest(IngestService.Kind.FRAME, image, metadata, ingest.defaultTiler());
    }

    @POST
    @Path("/scenes")
    @Operation(summary = "Ingest one scene (GeoTIFF, TIFF, JPEG or PNG), cut into chips",
            description = "Form fields as for frames (source defaults to SATELLITE), plus optional chipSize (32..2048)"
                    + " and overlap (less than half of chipSize) in pixels; at most 10,000 chips per upload by default. A north-up EPSG:4326 GeoTIFF gives every chip lon/lat bounds; other CRSs keep pixel"
                    + " windows and the response says so. All chips are written in one Kafka transaction.")
    @APIResponse(responseCode = "200", description = "Chips written")
    @APIResponse(responseCode = "400", description = "Invalid metadata, tiling or corrupt image (problem+json)")
    @APIResponse(responseCode = "413", description = "Too many bytes, pixels or chips (problem+json)")
    @APIResponse(responseCode = "415", description = "Unsupported image format (problem+json)")
    @APIResponse(responseCode = "503", description = "Busy (Retry-After) or Kafka unavailable; nothing written (problem+json)")
    public IngestResult scene(@RestForm("image") FileUpload image, @RestForm String source, @RestForm String platform,
                              @RestForm String capturedAt, @RestForm String bbox, @RestForm String centre,
                              @RestForm String sceneLabel, @RestForm String chipSize, @RestForm String overlap) {
        UploadMetadata metadata = metadata(source, Source.SATELLITE, platform, capturedAt, bbox, centre, sceneLabel);
        Tiler tiler = ingest.tiler(integer("chipSize", chipSize), integer("overlap", overlap));
        return ingest(IngestService.Kind.SCENE, image, metadata, tiler);
    }

    private UploadMetadata metadata(String source, Source defaultSource, String platform, String capturedAt,
                                    String bbox, String centre, String sceneLabel) {
        try {
            return UploadMetadata.parse(source, platform, capturedAt, bbox, centre, sceneLabel, defaultSource,
                    ingest.clock(), ingest.config().maxClockSkew());
        } catch (ProblemException e) {
            throw ingest.reject(e.problem().reason(), e.problem().detail());
        }
    }

    private IngestResult ingest(IngestService.Kind kind, FileUpload image, UploadMetadata metadata, Tiler tiler) {
        if (image == null) {
            throw ingest.reject("MISSING_IMAGE", "No file in form field 'image': send the image as multipart/form-data,"
                    + " e.g. curl -F image=@frame.jpg ...");
        }
        try {
            return ingest.ingest(kind, image.uploadedFile(), metadata, tiler);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the uploaded file", e);
        }
    }

    private Integer integer(String field, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Integer.valueOf(value.trim());
        } catch (NumberFormatException e) {
            throw ingest.reject("INVALID_TILING", "Field '" + field + "' must be a whole number of pixels; got '" + value
                    + "'");
        }
    }
}
