package io.pirstream.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

/** Calls the query service as a user would. Thread-safe. */
final class QueryClient {

    private final HttpClient http = HttpClient.newHttpClient();
    private final String baseUrl;
    private final String apiKey;

    QueryClient(String baseUrl, String apiKey) {
        this.baseUrl = baseUrl;
        this.apiKey = apiKey;
    }

    HttpResponse<String> search(String text, int k) {
        String body = "{\"text\": \"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\", \"k\": " + k + "}";
        return send(HttpRequest.newBuilder(URI.create(baseUrl + "/v1/search"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    boolean isSearchable(String chipId) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + "/v1/chips/" + chipId)).GET()).statusCode() == 200;
    }

    /** Waits until every chip is searchable or the timeout passes; returns those that are. */
    Set<String> awaitSearchable(Set<String> chipIds, Duration timeout) {
        Set<String> found = new HashSet<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!found.containsAll(chipIds) && System.nanoTime() < deadline) {
            for (String id : chipIds) {
                if (!found.contains(id) && isSearchable(id)) {
                    found.add(id);
                }
            }
            sleep(50);
        }
        return found;
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.header("Authorization", "Bearer " + apiKey).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("query-service call failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
