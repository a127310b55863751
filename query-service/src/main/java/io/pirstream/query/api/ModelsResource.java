package io.pirstream.query.api;

import io.pirstream.query.SearchEngine;
import io.pirstream.service.security.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** Which model versions this replica indexes, which one answers searches, and which one it is flipping to. */
@Path("/v1/models")
@RolesAllowed({Roles.ANALYST, Roles.OPERATOR})
@Produces(MediaType.APPLICATION_JSON)
public class ModelsResource {

    /** The indexes of this replica and the releases whose index could not be opened. */
    public record Models(String serving, List<SearchEngine.IndexView> indexes, Map<String, String> failures) {
    }

    private final SearchEngine engine;

    public ModelsResource(SearchEngine engine) {
        this.engine = engine;
    }

    @GET
    @Operation(summary = "Model versions indexed by this replica",
            description = "One entry per live release: chips indexed, whether it has caught up with its topic, whether"
                    + " it serves, and whether it is the active release's index that searches flip to once caught up.")
    public Models models() {
        List<SearchEngine.IndexView> indexes = engine.indexes();
        String serving = indexes.stream().filter(SearchEngine.IndexView::serving).map(SearchEngine.IndexView::modelVersion)
                .findFirst().orElse(null);
        return new Models(serving, indexes, engine.failures());
    }
}
