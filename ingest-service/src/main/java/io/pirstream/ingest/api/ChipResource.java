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

/** Admin actions on ingested chips. */
@Path("/v1/chips")
@RolesAllowed(Roles.OPERATOR)
@Produces(MediaType.APPLICATION_JSON)
public class ChipResource {

    /** What a deletion did. */
    public record Deletion(String chipId, String status) {
    }

    private final IngestService ingest;

    public ChipResource(IngestService ingest) {
        this.ingest = ingest;
    }

    @DELETE
    @Path("/{id}")
    @Operation(summary = "Delete a chip (role operator)",
            description = "Writes a tombstone for the chip to the chips topic: its embeddings and search index entries"
                    + " are removed downstream. Deleting an unknown or already deleted chip changes nothing.")
    @APIResponse(responseCode = "202", description = "Tombstone written")
    @APIResponse(responseCode = "400", description = "Not a chip id (problem+json)")
    @APIResponse(responseCode = "503", description = "Busy (Retry-After) or Kafka unavailable (problem+json)")
    public Response delete(@PathParam("id") String id) {
        ingest.delete(List.of(id));
        return Response.accepted(new Deletion(id, "tombstone written; its embeddings and index entries follow"))
                .build();
    }
}
