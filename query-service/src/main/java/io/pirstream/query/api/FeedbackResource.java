package io.pirstream.query.api;

import io.pirstream.query.SearchEngine;
import io.pirstream.query.feedback.FeedbackLedger;
import io.pirstream.service.api.ProblemException;
import io.pirstream.service.security.Roles;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** Relevance judgements on search results: the labelled data the fine-tune job learns from. */
@Path("/v1/feedback")
@RolesAllowed(Roles.ANALYST)
@Produces(MediaType.APPLICATION_JSON)
public class FeedbackResource {

    private final FeedbackLedger ledger;
    private final SearchEngine engine;
    private final SecurityIdentity identity;

    public FeedbackResource(FeedbackLedger ledger, SearchEngine engine, SecurityIdentity identity) {
        this.ledger = ledger;
        this.engine = engine;
        this.identity = identity;
    }

    /** The answer: the judgement's id and whether it had been recorded before. */
    public record Recorded(String feedbackId, String chipId, boolean relevant, boolean duplicate, Instant at) {
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Say whether a result answers a search",
            description = "Body: {queryText, chipId, relevant}. 201 when recorded, 200 when you had judged it the same"
                    + " way before (recorded once), 409 when you had judged it the other way.")
    public Response record(FeedbackRequest request) {
        if (request == null) {
            throw ProblemException.badRequest("MISSING_BODY", "Send a JSON body, e.g. {\"queryText\": \"a harbour\","
                    + " \"chipId\": \"<id from a result>\", \"relevant\": true}");
        }
        String text = request.queryText() == null ? "" : request.queryText().strip();
        if (text.isEmpty() || text.length() > engine.maxTextLength()) {
            throw ProblemException.badRequest("INVALID_TEXT", "'queryText' must be the 1.." + engine.maxTextLength()
                    + " character search the result came from; got " + (text.isEmpty() ? "nothing" : text.length()
                    + " characters"));
        }
        if (request.chipId() == null || request.chipId().isBlank()) {
            throw ProblemException.badRequest("INVALID_CHIP_ID", "'chipId' is required: the id of the result judged");
        }
        if (request.relevant() == null) {
            throw ProblemException.badRequest("INVALID_RELEVANT", "'relevant' is required: true or false");
        }
        try {
            if (engine.chip(request.chipId()).isEmpty()) {
                throw new ProblemException(Response.Status.NOT_FOUND, "CHIP_NOT_FOUND", "No indexed chip with id '"
                        + request.chipId() + "': feedback is taken on chips that are searchable");
            }
            FeedbackLedger.Outcome outcome = ledger.record(identity.getPrincipal().getName(), text, request.chipId(),
                    request.relevant(), engine.modelVersion());
            var f = outcome.feedback();
            return Response.status(outcome.duplicate() ? Response.Status.OK : Response.Status.CREATED)
                    .entity(new Recorded(f.getFeedbackId(), f.getChipId(), f.getRelevant(), outcome.duplicate(), f.getAt()))
                    .build();
        } catch (SearchEngine.NotReady e) {
            throw new ProblemException(Response.Status.SERVICE_UNAVAILABLE, "INDEX_NOT_READY", e.getMessage());
        } catch (FeedbackLedger.NotReady e) {
            throw new ProblemException(Response.Status.SERVICE_UNAVAILABLE, "FEEDBACK_NOT_READY", e.getMessage());
        } catch (FeedbackLedger.Conflict e) {
            throw new ProblemException(Response.Status.CONFLICT, "FEEDBACK_CONFLICT", e.getMessage());
        }
    }
}
