package io.pirstream.ingest.api;

import io.pirstream.ingest.IngestService;
import io.pirstream.service.security.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/** Admin actions on ingested imagery: deleting chips and whole scenes. */
@Path("/v1")
@RolesAllowed(Roles.OPERATOR)
@Produces(MediaType.APPLICATION_JSON)
public class DeletionResource {

    /** What a chip deletion did. */
    public record Deletion(String chipId, String status) {
    }

    /** What a scene deletion did: the chips whose tombstones were written. */
    public record SceneDeletion(String sceneId, List<String> chipIds, String status) {
    }

    private final IngestService ingest;

    public DeletionResource(IngestService ingest) {
        this.ingest = ingest;
    }

    @DELETE
    @Path("/chips/{id}")
    @Operation(summary = "Delete a chip (role operator)",
            description = "Writes a tombstone for the chip to the chips topic: its embeddings and search index entries"
                    + " are removed downstream. Deleting an unknown or already deleted chip changes nothing.")
    @APIResponse(responseCode = "202", description = "Tombstone written")
    @APIResponse(responseCode = "400", description = "Not a chip id (problem+json)")
    @APIResponse(responseCode = "503", description = "Busy (Retry-After) or Kafka unavailable (problem+json)")
    public Response deleteChip(@PathParam("id") String id) {
        ingest.delete(List.of(id));
        return Response.accepted(new Deletion(id, "tombstone written; its embeddings and index entries follow"))
                .build();
    }

    @DELETE
    @Path("/scenes/{id}")
    @Operation(summary = "Delete a frame or scene with all its chips (role operator)",
            description = "Writes a tombstone for each of the scene's chips (of every upload of it) and for its manifest,"
                    + " in one transaction: the chips' embeddings and search index entries are removed downstream."
                    + " Uploading the scene again afterwards ingests it anew.")
    @APIResponse(responseCode = "202", description = "Tombstones written; the answer lists the chips")
    @APIResponse(responseCode = "400", description = "Not a scene id (problem+json)")
    @APIResponse(responseCode = "404", description = "No such scene: never uploaded, or deleted (problem+json)")
    @APIResponse(responseCode = "503", description = "Scene catalog loading, busy (Retry-After) or Kafka unavailable"
            + " (problem+json)")
    public Response deleteScene(@PathParam("id") String id) {
        List<String> chipIds = ingest.deleteScene(id);
        return Response.accepted(new SceneDeletion(id, chipIds, chipIds.size() + " chip tombstones written; their"
                + " embeddings and index entries follow")).build();
    }
}
