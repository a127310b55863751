package io.pirstream.launcher;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A child JVM that behaves like a failing service for {@link SupervisorTest}: it serves {@code /q/health/ready} and
 * {@code /q/health/live} on the port in {@code PORT}, appends a line to the file in {@code STARTS} on every start,
 * and for its first {@code FAILING_STARTS} starts fails the way {@code MODE} says: {@code exit} (status 3 after a
 * second) or {@code down} (liveness answers 503). Later starts stay healthy.
 */
public final class FlakyService {

    public static void main(String[] args) throws IOException {
        Path starts = Path.of(System.getenv("STARTS"));
        Files.writeString(starts, "start\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        long start = Files.readAllLines(starts).size();
        boolean failing = start <= Long.parseLong(System.getenv("FAILING_STARTS"));
        String mode = System.getenv("MODE");
        HttpServer server = HttpServer.create(new InetSocketAddress("localhost", Integer.parseInt(System.getenv("PORT"))), 0);
        server.createContext("/q/health/ready", exchange -> answer(exchange, 200));
        server.createContext("/q/health/live", exchange -> answer(exchange, failing && mode.equals("down") ? 503 : 200));
        server.start();
        if (failing && mode.equals("exit")) {
            sleep(1000);
            System.exit(3);
        }
    }

    private static void answer(com.sun.net.httpserver.HttpExchange exchange, int status) throws IOException {
        byte[] body = ("{\"status\":\"" + (status == 200 ? "UP" : "DOWN") + "\"}").getBytes();
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
