package io.pirstream.service.api;

import jakarta.ws.rs.core.Response;

/** Thrown anywhere in request handling to answer with a problem detail. */
public class ProblemException extends RuntimeException {

    private final transient Problem problem;

    public ProblemException(Response.Status status, String reason, String detail) {
        this(status, reason, detail, null);
    }

    public ProblemException(Response.Status status, String reason, String detail, Throwable cause) {
        super(detail, cause);
        this.problem = Problem.of(status, reason, detail);
    }

    public Problem problem() {
        return problem;
    }

    /** A 400 for request metadata a person must correct. */
    public static ProblemException badRequest(String reason, String detail) {
        return new ProblemException(Response.Status.BAD_REQUEST, reason, detail);
    }
}
