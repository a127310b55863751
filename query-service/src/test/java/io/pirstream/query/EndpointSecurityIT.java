package io.pirstream.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.service.security.Roles;
import io.pirstream.testkit.quarkus.EmbeddedKafkaResource;
import io.pirstream.testkit.quarkus.EndpointSecurity;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URL;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every operation of the OpenAPI document refuses calls without a key (401) and keys of the wrong role (403), and
 * admits its own roles. The table is the contract: an operation missing from it fails the test, so a new endpoint
 * gets its roles decided (and checked) when it is added.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedKafkaResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = TinyModelResource.class, restrictToAnnotatedClass = false)
class EndpointSecurityIT {

    /** The roles each operation admits. */
    static final Map<String, Set<String>> ROLES = Map.ofEntries(
            Map.entry("POST /v1/search", Set.of(Roles.ANALYST)),
            Map.entry("POST /v1/search/similar", Set.of(Roles.ANALYST)),
            Map.entry("GET /v1/chips/{id}", Set.of(Roles.ANALYST)),
            Map.entry("GET /v1/chips/{id}/thumbnail", Set.of(Roles.ANALYST)),
            Map.entry("POST /v1/feedback", Set.of(Roles.ANALYST)),
            Map.entry("POST /v1/subscriptions", Set.of(Roles.ANALYST, Roles.OPERATOR)),
            Map.entry("GET /v1/subscriptions", Set.of(Roles.ANALYST, Roles.OPERATOR)),
            Map.entry("GET /v1/subscriptions/{id}", Set.of(Roles.ANALYST, Roles.OPERATOR)),
            Map.entry("PUT /v1/subscriptions/{id}", Set.of(Roles.ANALYST, Roles.OPERATOR)),
            Map.entry("DELETE /v1/subscriptions/{id}", Set.of(Roles.ANALYST, Roles.OPERATOR)),
            Map.entry("GET /v1/alerts/stream", Set.of(Roles.ANALYST, Roles.OPERATOR)),
            Map.entry("GET /v1/index/stream", Set.of(Roles.ANALYST, Roles.OPERATOR)),
            Map.entry("GET /v1/models", Set.of(Roles.ANALYST, Roles.OPERATOR)));

    /** A key of each role, as configured for tests in application.properties. */
    static final Map<String, String> KEYS = Map.of(
            Roles.INGEST, "test-ingest-key-0123456789",
            Roles.ANALYST, QueryServiceIT.ANALYST,
            Roles.OPERATOR, "test-operator-key-0123456789");

    @TestHTTPResource("/")
    URL base;

    @Test
    void everyOperationAdmitsItsRolesOnlyAndRefusesMissingOrUnknownKeys() throws Exception {
        assertThat(new EndpointSecurity(base.toURI()).violations(ROLES, KEYS)).as("access-control violations")
                .isEmpty();
    }
}
