package io.pirstream.embed;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;

/**
 * {@code /q/health/live}, {@code /q/health/ready} and {@code /q/metrics} (Prometheus) for the processor, on the same
 * paths as the Quarkus services so that probes and the launcher treat every service alike.
 */
final class HealthServer implements AutoCloseable {

    private final HttpServer server;

    private HealthServer(HttpServer server) {
        this.server = server;
    }

    /** The port it listens on (the chosen one, when started on port 0). */
    int port() {
        return server.getAddress().getPort();
    }

    /** The address it listens on. */
    InetSocketAddress address() {
        return server.getAddress();
    }

    /** Serves on {@code host} (an address or name; 0.0.0.0 for every interface) and {@code port} (0: any free). */
    static HealthServer start(String host, int port, Supplier<KafkaStreams.State> state,
                              PrometheusMeterRegistry registry, Supplier<String> models) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
            server.createContext("/q/health/ready", exchange -> {
                KafkaStreams.State now = state.get();
                health(exchange, now == KafkaStreams.State.RUNNING, now, models.get());
            });
            server.createContext("/q/health/live", exchange -> {
                KafkaStreams.State now = state.get();
                health(exchange, now != KafkaStreams.State.ERROR && now != KafkaStreams.State.PENDING_ERROR,
                        now, models.get());
            });
            server.createContext("/q/health", exchange -> {
                KafkaStreams.State now = state.get();
                health(exchange, now == KafkaStreams.State.RUNNING, now, models.get());
            });
            server.createContext("/q/metrics", exchange -> respond(exchange, 200, "text/plain; version=0.0.4",
                    registry.scrape()));
            server.start();
            return new HealthServer(server);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot serve health on " + host + ":" + port, e);
        }
    }

    private static void health(HttpExchange exchange, boolean up, KafkaStreams.State state, String models)
            throws IOException {
        String status = up ? "UP" : "DOWN";
        String body = "{\"status\":\"" + status + "\",\"checks\":[{\"name\":\"kafka-streams\",\"status\":\"" + status
                + "\",\"data\":{\"state\":\"" + state + "\",\"models\":\"" + models.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}}]}";
        respond(exchange, up ? 200 : 503, "application/json", body);
    }

    private static void respond(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
