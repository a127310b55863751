package io.pirstream.service.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;

/**
 * An RFC 9457 problem detail, the body of every error response.
 *
 * @param type URI naming the kind of problem, stable for clients to switch on
 * @param title short summary of the kind
 * @param status HTTP status
 * @param detail what went wrong with this request and what to do about it
 * @param reason machine-readable reason code (also the metric tag of rejects)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(URI type, String title, int status, String detail, String reason) {

    public static final String MEDIA_TYPE = "application/problem+json";
    private static final String TYPE_BASE = "https://pirstream.io/problems/";

    public static Problem of(Response.Status status, String reason, String detail) {
        return new Problem(URI.create(TYPE_BASE + reason.toLowerCase(java.util.Locale.ROOT).replace('_', '-')), status.getReasonPhrase(),
                status.getStatusCode(), detail, reason);
    }

    public Response toResponse() {
        return Response.status(status).type(MediaType.valueOf(MEDIA_TYPE)).entity(this).build();
    }
}
