package io.pirstream.query.api;

import io.pirstream.query.alerts.AlertsConfig;
import io.pirstream.service.api.ProblemException;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.SseEventSink;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Runs server-sent event streams, each on its own thread (a stream mostly waits on Kafka or a queue), at most
 * {@code pirstream.alerts.max-streams} at once. A stream ends when its client goes away: every send, including a
 * keep-alive comment every {@link #KEEP_ALIVE}, checks the connection.
 */
@ApplicationScoped
public class EventStreams {

    private static final Logger LOG = Logger.getLogger(EventStreams.class);
    /** Longest silence on a stream: proxies drop idle connections, and a closed one is noticed on the next send. */
    public static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

    /** One stream's work: send events on the sink until it closes or the stream is stopped. */
    @FunctionalInterface
    public interface Loop {
        void run(Sender sender) throws Exception;
    }

    /** Sends events of one stream; false once the client has gone. */
    public interface Sender {
        boolean send(OutboundSseEvent event);

        boolean open();
    }

    private final Semaphore slots;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "event-stream");
        thread.setDaemon(true);
        return thread;
    });
    private volatile boolean stopping;

    public EventStreams(AlertsConfig config) {
        this.slots = new Semaphore(config.maxStreams());
    }

    /**
     * Starts a stream; answers 503 (before any event is sent) when too many are open.
     */
    public void start(SseEventSink sink, Loop loop) {
        if (!slots.tryAcquire()) {
            throw new ProblemException(Response.Status.SERVICE_UNAVAILABLE, "TOO_MANY_STREAMS",
                    "This instance serves its most event streams at once; close another tab or retry later");
        }
        Sender sender = new Sender() {
            @Override
            public boolean send(OutboundSseEvent event) {
                if (!open()) {
                    return false;
                }
                try {
                    sink.send(event).toCompletableFuture().get(KEEP_ALIVE.toMillis(), TimeUnit.MILLISECONDS);
                    return true;
                } catch (Exception e) {
                    return false; // the client went away, or reads too slowly to be served
                }
            }

            @Override
            public boolean open() {
                return !stopping && !sink.isClosed();
            }
        };
        threads.execute(() -> {
            try {
                loop.run(sender);
            } catch (Exception e) {
                LOG.debugf("Event stream ended: %s", e.toString());
            } finally {
                slots.release();
                try {
                    sink.close();
                } catch (RuntimeException e) {
                    // already closed by the client
                }
            }
        });
    }

    void onStop(@Observes ShutdownEvent event) {
        stopping = true;
        threads.shutdown();
    }
}
