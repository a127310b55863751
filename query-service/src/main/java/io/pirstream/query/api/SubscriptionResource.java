package io.pirstream.query.api;

import io.pirstream.query.SearchEngine;
import io.pirstream.query.alerts.Subscriptions;
import io.pirstream.service.api.ProblemException;
import io.pirstream.service.security.Roles;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import java.util.function.Supplier;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * Standing text queries. Each client sees, changes and deletes only its own: another client's id answers 404, as an
 * unknown one does, so ids reveal nothing. Role {@code operator} may list every client's.
 */
@Path("/v1/subscriptions")
@RolesAllowed({Roles.ANALYST, Roles.OPERATOR})
@Produces(MediaType.APPLICATION_JSON)
public class SubscriptionResource {

    private final Subscriptions subscriptions;
    private final SearchEngine engine;
    private final SecurityIdentity identity;

    public SubscriptionResource(Subscriptions subscriptions, SearchEngine engine, SecurityIdentity identity) {
        this.subscriptions = subscriptions;
        this.engine = engine;
        this.identity = identity;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Watch for new imagery matching a description",
            description = "Body: {text, threshold (-1..1), filters: {bbox: [w,s,e,n], sources, platforms}, webhookUrl}."
                    + " Every new chip at or above the threshold raises one alert (GET /v1/alerts/stream, and the"
                    + " webhook). The answer carries the webhook's signing secret, shown only here.")
    public Response create(SubscriptionRequest request) {
        Subscriptions.Spec spec = require(request).validate(engine.maxTextLength());
        Subscriptions.Saved saved = call(() -> subscriptions.create(owner(), spec));
        return Response.created(URI.create("/v1/subscriptions/" + saved.query().getSubscriptionId()))
                .entity(SubscriptionView.of(saved.query(), engine.modelVersion(), saved.webhookSecret())).build();
    }

    @GET
    @Operation(summary = "Your subscriptions, newest first (operators: ?all=true for every client's)")
    public List<SubscriptionView> list(@QueryParam("all") boolean all) {
        if (all && !identity.hasRole(Roles.OPERATOR)) {
            throw new ProblemException(Response.Status.FORBIDDEN, "FORBIDDEN",
                    "Listing every client's subscriptions needs the operator role; leave out all=true to list yours");
        }
        return call(() -> all ? subscriptions.listAll() : subscriptions.list(owner())).stream()
                .map(q -> SubscriptionView.of(q, engine.modelVersion(), null)).toList();
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "One of your subscriptions")
    public SubscriptionView get(@PathParam("id") String id) {
        return call(() -> subscriptions.get(owner(), id)).map(q -> SubscriptionView.of(q, engine.modelVersion(), null))
                .orElseThrow(() -> notFound(id));
    }

    @PUT
    @Path("/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Change one of your subscriptions (same body as create; the text is encoded again)")
    public SubscriptionView update(@PathParam("id") String id, SubscriptionRequest request) {
        Subscriptions.Spec spec = require(request).validate(engine.maxTextLength());
        Subscriptions.Saved saved = call(() -> subscriptions.update(owner(), id, spec)).orElseThrow(() -> notFound(id));
        return SubscriptionView.of(saved.query(), engine.modelVersion(), saved.webhookSecret());
    }

    @DELETE
    @Path("/{id}")
    @Operation(summary = "Stop watching: no alerts from now on")
    public Response delete(@PathParam("id") String id) {
        if (!call(() -> subscriptions.delete(owner(), id))) {
            throw notFound(id);
        }
        return Response.noContent().build();
    }

    private String owner() {
        return identity.getPrincipal().getName();
    }

    private static SubscriptionRequest require(SubscriptionRequest request) {
        if (request == null) {
            throw ProblemException.badRequest("MISSING_BODY", "Send a JSON body, e.g. {\"text\": \"a flooded road\","
                    + " \"threshold\": 0.3}");
        }
        return request;
    }

    private static <T> T call(Supplier<T> action) {
        try {
            return action.get();
        } catch (Subscriptions.Invalid e) {
            Response.Status status = "SUBSCRIPTION_LIMIT".equals(e.reason()) ? Response.Status.CONFLICT
                    : Response.Status.BAD_REQUEST;
            throw new ProblemException(status, e.reason(), e.getMessage());
        } catch (Subscriptions.NotReady e) {
            throw new ProblemException(Response.Status.SERVICE_UNAVAILABLE, "SUBSCRIPTIONS_NOT_READY", e.getMessage());
        }
    }

    private static ProblemException notFound(String id) {
        return new ProblemException(Response.Status.NOT_FOUND, "SUBSCRIPTION_NOT_FOUND", "You have no subscription '"
                + id + "'; GET /v1/subscriptions lists yours");
    }
}
