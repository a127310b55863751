package io.pirstream.service.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Turns every failure into an {@code application/problem+json} response. */
public class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);
    private static final String CHALLENGE = "Bearer realm=\"pirstream\", ApiKey header=\"X-API-Key\"";

    @ServerExceptionMapper
    public Response problem(ProblemException e) {
        Response response = e.problem().toResponse();
        return e.retryAfter().map(after -> Response.fromResponse(response)
                        // whole seconds, rounded up: 0 would invite an immediate retry storm
                        .header(HttpHeaders.RETRY_AFTER, Math.max(1, (after.toMillis() + 999) / 1000)).build())
                .orElse(response);
    }

    @ServerExceptionMapper({UnauthorizedException.class, AuthenticationFailedException.class})
    public Response unauthenticated(RuntimeException e) {
        return Response.fromResponse(Problem.of(Response.Status.UNAUTHORIZED, "UNAUTHENTICATED",
                        "Send an API key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'; the embedded default"
                                + " prints one at start-up.").toResponse())
                .header(HttpHeaders.WWW_AUTHENTICATE, CHALLENGE).build();
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e) {
        return Problem.of(Response.Status.FORBIDDEN, "FORBIDDEN",
                "This API key lacks the role this endpoint needs: " + (e.getMessage() == null ? "ask an operator for"
                        + " a key with the right role" : e.getMessage())).toResponse();
    }

    @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER - 100)
    public Response unknownField(UnrecognizedPropertyException unknown) {
        return Problem.of(Response.Status.BAD_REQUEST, "UNKNOWN_FIELD", "Unknown field '" + unknown.getPropertyName()
                + "'; known fields: " + unknown.getKnownPropertyIds()).toResponse();
    }

    @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER - 100)
    public Response json(JsonProcessingException e) {
        return Problem.of(Response.Status.BAD_REQUEST, "INVALID_JSON", "The body is not valid JSON for this endpoint: "
                + e.getOriginalMessage()).toResponse();
    }

    /**
     * A body of the wrong shape (an array, a string for a number). Named on its own because Quarkus maps this
     * subtype itself (a plain JSON answer), and the mapper for the closest type wins over priority.
     */
    @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER - 100)
    public Response mismatchedInput(MismatchedInputException e) {
        return json(e);
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        if (e.getCause() instanceof JsonProcessingException json) {
            return json(json);
        }
        Response.StatusType status = e.getResponse().getStatusInfo();
        Response.Status known = Response.Status.fromStatusCode(status.getStatusCode());
        String reason = known == null ? "HTTP_" + status.getStatusCode() : known.name();
        return new Problem(java.net.URI.create("https://pirstream.io/problems/" + reason.toLowerCase(java.util.Locale.ROOT).replace('_', '-')),
                status.getReasonPhrase(), status.getStatusCode(), e.getMessage(), reason).toResponse();
    }

    @ServerExceptionMapper
    public Response unexpected(RuntimeException e) {
        LOG.error("Unexpected error while handling a request", e);
        return Problem.of(Response.Status.INTERNAL_SERVER_ERROR, "INTERNAL_ERROR",
                "Unexpected error (" + e.getClass().getSimpleName() + "); nothing was written. The server log has"
                        + " the details.").toResponse();
    }
}
