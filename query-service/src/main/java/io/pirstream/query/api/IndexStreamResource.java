package io.pirstream.query.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pirstream.query.IndexEvents;
import io.pirstream.service.security.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** Chips as they become searchable on this instance, as server-sent events (a live feed: no resume). */
@Path("/v1/index")
@RolesAllowed({Roles.ANALYST, Roles.OPERATOR})
public class IndexStreamResource {

    /** Events held for a slow client; past that the oldest are dropped and the next event says how many. */
    static final int BACKLOG = 1_000;

    private final IndexEvents events;
    private final EventStreams streams;
    private final ObjectMapper json;

    public IndexStreamResource(IndexEvents events, EventStreams streams, ObjectMapper json) {
        this.events = events;
        this.streams = streams;
        this.json = json;
    }

    @GET
    @Path("/stream")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(summary = "Chips as they become searchable (server-sent events, event 'indexed')")
    public void stream(@Context SseEventSink sink, @Context Sse sse) {
        streams.start(sink, sender -> {
            BlockingQueue<IndexEvents.Indexed> queue = new ArrayBlockingQueue<>(BACKLOG);
            AtomicLong dropped = new AtomicLong();
            try (AutoCloseable listening = events.listen(event -> {
                if (!queue.offer(event)) {
                    dropped.incrementAndGet();
                }
            })) {
                if (!sender.send(sse.newEventBuilder().name("ready").data("{}").build())) {
                    return;
                }
                while (sender.open()) {
                    IndexEvents.Indexed event = queue.poll(EventStreams.KEEP_ALIVE.toMillis(), TimeUnit.MILLISECONDS);
                    boolean sent = event == null ? sender.send(sse.newEventBuilder().comment("keep-alive").build())
                            : sender.send(sse.newEventBuilder().name("indexed").mediaType(MediaType.APPLICATION_JSON_TYPE)
                                    .data(json.writeValueAsString(new Feed(event, dropped.getAndSet(0)))).build());
                    if (!sent) {
                        return;
                    }
                }
            }
        });
    }

    /** An event's data: the chip, and how many events were dropped before it because the client read too slowly. */
    record Feed(IndexEvents.Indexed chip, long droppedBefore) {
    }
}
