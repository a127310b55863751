package io.pirstream.testkit.quarkus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Walks a Quarkus service's OpenAPI document ({@code /q/openapi}) and calls every operation it lists, with or
 * without an API key, so that a test can check the authentication and role of each one: an endpoint added later is
 * in the document, so it cannot slip past such a test.
 */
public final class EndpointSecurity {

    /** A placeholder for every path parameter: shaped like a chip id, so it passes format checks harmlessly. */
    public static final String PATH_PARAMETER = "0".repeat(64);

    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BOUNDARY = "pirstream-security-check";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final URI base;

    /** One operation of the document. */
    public record Operation(String method, String path, Optional<String> contentType) {
        /** {@code METHOD /path}, as listed in a test's table of roles. */
        public String name() {
            return method + " " + path;
        }
    }

    /** @param base the service's root, e.g. {@code http://localhost:8081/} */
    public EndpointSecurity(URI base) {
        this.base = base;
    }

    /** Every operation of the service's OpenAPI document under {@code /v1}. */
    public List<Operation> operations() {
        JsonNode document;
        try {
            document = JSON.readTree(send(HttpRequest.newBuilder(base.resolve("/q/openapi?format=json")).GET()).body());
        } catch (IOException e) {
            throw new UncheckedIOException("the OpenAPI document is not JSON", e);
        }
        List<Operation> operations = new ArrayList<>();
        for (Iterator<String> paths = document.path("paths").fieldNames(); paths.hasNext(); ) {
            String path = paths.next();
            if (!path.startsWith("/v1")) {
                continue;
            }
            JsonNode item = document.path("paths").path(path);
            for (Iterator<String> methods = item.fieldNames(); methods.hasNext(); ) {
                String method = methods.next();
                if (METHODS.contains(method)) {
                    Iterator<String> types = item.path(method).path("requestBody").path("content").fieldNames();
                    operations.add(new Operation(method.toUpperCase(Locale.ROOT), path,
                            types.hasNext() ? Optional.of(types.next()) : Optional.empty()));
                }
            }
        }
        return operations;
    }

    /**
     * Everything wrong with the service's access control, measured against {@code roles}: an operation of the
     * document that is not in the table (or the reverse), one that answers without a key or with an unknown key
     * other than 401, or with a key of a role it does not admit other than 403 (both as problem+json), or that
     * refuses a key of a role it admits. Empty when all is well.
     *
     * @param roles the roles each operation admits, by {@link Operation#name()}
     * @param keys a key of every role
     */
    public List<String> violations(Map<String, Set<String>> roles, Map<String, String> keys) {
        List<String> violations = new ArrayList<>();
        List<Operation> operations = operations();
        Set<String> documented = new TreeSet<>();
        operations.forEach(operation -> documented.add(operation.name()));
        if (documented.isEmpty()) {
            violations.add("the OpenAPI document lists no operation under /v1");
        }
        documented.stream().filter(name -> !roles.containsKey(name)).forEach(name -> violations.add(name
                + " is not in the table of roles: decide which roles it admits and add it"));
        roles.keySet().stream().filter(name -> !documented.contains(name)).sorted().forEach(name -> violations.add(name
                + " is in the table of roles but not in the OpenAPI document"));
        for (Operation operation : operations) {
            Set<String> admitted = roles.getOrDefault(operation.name(), Set.of());
            expect(violations, operation, "without a key", call(operation, Optional.empty()), 401, "UNAUTHENTICATED");
            expect(violations, operation, "with an unknown key", call(operation, Optional.of("not-a-key-of-this-service")),
                    401, "UNAUTHENTICATED");
            keys.forEach((role, key) -> {
                Answer answer = call(operation, Optional.of(key));
                if (!admitted.contains(role)) {
                    expect(violations, operation, "with a key of role " + role, answer, 403, "FORBIDDEN");
                } else if (answer.status() == 401 || answer.status() == 403) {
                    violations.add(operation.name() + " refuses its own role " + role + ": " + answer.status() + " "
                            + answer.body());
                }
            });
        }
        return violations;
    }

    private static void expect(List<String> violations, Operation operation, String how, Answer answer, int status,
                               String reason) {
        boolean problem = answer.contentType().startsWith("application/problem+json")
                && answer.body().contains("\"reason\":\"" + reason + "\"");
        if (answer.status() != status || !problem) {
            violations.add(operation.name() + " " + how + ": expected " + status + " " + reason + " as problem+json, got "
                    + answer.status() + " " + answer.contentType() + " " + answer.body());
        }
    }

    /**
     * An answer: its status, content type and, for errors, its body. A success's body is not read, so that streaming
     * endpoints (server-sent events) answer too.
     */
    public record Answer(int status, String contentType, String body) {
    }

    /** Calls {@code operation} with an empty body of its content type, sending {@code key} as a bearer token. */
    public Answer call(Operation operation, Optional<String> key) {
        String path = operation.path().replaceAll("\\{[^}]+}", PATH_PARAMETER);
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60));
        key.ifPresent(k -> request.header("Authorization", "Bearer " + k));
        String type = operation.contentType().orElse(null);
        String body = "";
        if (type != null && type.startsWith("multipart/")) {
            type = "multipart/form-data; boundary=" + BOUNDARY;
            body = "--" + BOUNDARY + "--\r\n";
        } else if (type != null && type.contains("json")) {
            body = "{}";
        }
        if (type != null) {
            request.header("Content-Type", type);
        }
        request.method(operation.method(), body.isEmpty() && type == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body));
        try {
            HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                String text = response.statusCode() >= 400
                        ? new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8) : "";
                return new Answer(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""),
                        text);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(operation.name() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("request to " + base + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
