package io.pirstream.service.api;

import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/** Thrown anywhere in request handling to answer with a problem detail. */
public class ProblemException extends RuntimeException {

    private final transient Problem problem;
    private final transient Duration retryAfter;

    public ProblemException(Response.Status status, String reason, String detail) {
        this(status, reason, detail, null);
    }

    public ProblemException(Response.Status status, String reason, String detail, Throwable cause) {
        this(status, reason, detail, cause, null);
    }

    private ProblemException(Response.Status status, String reason, String detail, Throwable cause,
                             Duration retryAfter) {
        super(detail, cause);
        this.problem = Problem.of(status, reason, detail);
        this.retryAfter = retryAfter;
    }

    public Problem problem() {
        return problem;
    }

    /** When the client may try again (the {@code Retry-After} header), for refusals because something is busy. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }

    /** A 400 for request metadata a person must correct. */
    public static ProblemException badRequest(String reason, String detail) {
        return new ProblemException(Response.Status.BAD_REQUEST, reason, detail);
    }

    /**
     * A refusal because a bounded resource is in use (429 for one client's quota, 503 for the service's capacity);
     * {@code detail} names what is busy.
     */
    public static ProblemException busy(Response.Status status, String reason, String detail, Duration retryAfter) {
        if (status != Response.Status.TOO_MANY_REQUESTS && status != Response.Status.SERVICE_UNAVAILABLE) {
            throw new IllegalArgumentException("busy is 429 or 503, got " + status);
        }
        return new ProblemException(status, reason, detail, null, Objects.requireNonNull(retryAfter,
                "retryAfter must not be null"));
    }
}
