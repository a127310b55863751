package io.pirstream.query.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pirstream.query.QueryConfig;
import io.pirstream.query.alerts.AlertCursor;
import io.pirstream.query.alerts.AlertJson;
import io.pirstream.query.alerts.AlertReader;
import io.pirstream.schemas.avro.Alert;
import io.pirstream.service.api.ProblemException;
import io.pirstream.service.kafka.KafkaClients;
import io.pirstream.service.security.Roles;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** Live alerts of the caller's subscriptions as server-sent events, resumable with {@code Last-Event-ID}. */
@Path("/v1/alerts")
@RolesAllowed({Roles.ANALYST, Roles.OPERATOR})
public class AlertStreamResource {

    private static final Duration POLL = Duration.ofMillis(250);

    private final QueryConfig config;
    private final KafkaClients clients;
    private final EventStreams streams;
    private final ObjectMapper json;
    private final SecurityIdentity identity;

    public AlertStreamResource(QueryConfig config, KafkaClients clients, EventStreams streams, ObjectMapper json,
                               SecurityIdentity identity) {
        this.config = config;
        this.clients = clients;
        this.streams = streams;
        this.json = json;
        this.identity = identity;
    }

    @GET
    @Path("/stream")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(summary = "Your alerts as they are raised (server-sent events)",
            description = "Event 'alert', data: the alert as JSON, id: a cursor to resume from (send it back as"
                    + " Last-Event-ID). Without one the stream starts with new alerts, or at ?since=<ISO instant>."
                    + " Operators may add ?all=true for every client's alerts. A 'ready' event opens the stream.")
    public void stream(@Context SseEventSink sink, @Context Sse sse, @HeaderParam("Last-Event-ID") String lastEventId,
                       @QueryParam("since") String since, @QueryParam("all") boolean all) {
        AlertCursor cursor = cursor(lastEventId);
        Instant from = since(since);
        if (all && !identity.hasRole(Roles.OPERATOR)) {
            throw new ProblemException(Response.Status.FORBIDDEN, "FORBIDDEN",
                    "Every client's alerts need the operator role; leave out all=true for yours");
        }
        String owner = identity.getPrincipal().getName();
        Predicate<Alert> wanted = all ? alert -> true : alert -> owner.equals(alert.getOwner());
        streams.start(sink, sender -> {
            try (AlertReader reader = new AlertReader(clients.config(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers())), cursor, from, wanted)) {
                if (!sender.send(sse.newEventBuilder().name("ready").id(reader.cursor().toString()).data("{}").build())) {
                    return;
                }
                long lastSent = System.nanoTime();
                while (sender.open()) {
                    for (AlertReader.Entry entry : reader.poll(POLL)) {
                        if (!sender.send(sse.newEventBuilder().name("alert").id(entry.cursor().toString())
                                .mediaType(MediaType.APPLICATION_JSON_TYPE)
                                .data(json.writeValueAsString(AlertJson.of(entry.alert()))).build())) {
                            return;
                        }
                        lastSent = System.nanoTime();
                    }
                    if (System.nanoTime() - lastSent > EventStreams.KEEP_ALIVE.toNanos()) {
                        if (!sender.send(sse.newEventBuilder().comment("keep-alive").build())) {
                            return;
                        }
                        lastSent = System.nanoTime();
                    }
                }
            }
        });
    }

    private static AlertCursor cursor(String lastEventId) {
        if (lastEventId == null || lastEventId.isBlank()) {
            return null;
        }
        try {
            return AlertCursor.parse(lastEventId);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest("INVALID_LAST_EVENT_ID", e.getMessage());
        }
    }

    private static Instant since(String since) {
        if (since == null || since.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(since.strip());
        } catch (DateTimeParseException e) {
            throw ProblemException.badRequest("INVALID_SINCE", "'since' must be an ISO-8601 instant such as"
                    + " 2026-11-26T10:00:00Z; got '" + since + "'");
        }
    }
}
