package io.pirstream.ingest;

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
@QuarkusTestResource(EmbeddedKafkaResource.class)
class EndpointSecurityIT {

    /** The roles each operation admits. */
    static final Map<String, Set<String>> ROLES = Map.of(
            "POST /v1/frames", Set.of(Roles.INGEST),
            "POST /v1/scenes", Set.of(Roles.INGEST),
            "DELETE /v1/chips/{id}", Set.of(Roles.OPERATOR),
            "DELETE /v1/scenes/{id}", Set.of(Roles.OPERATOR));

    /** A key of each role, as configured for tests in application.properties. */
    static final Map<String, String> KEYS = Map.of(
            Roles.INGEST, IngestApiIT.INGEST_KEY,
            Roles.ANALYST, IngestApiIT.ANALYST_KEY,
            Roles.OPERATOR, "test-operator-key-0123456789");

    @TestHTTPResource("/")
    URL base;

    @Test
    void everyOperationAdmitsItsRolesOnlyAndRefusesMissingOrUnknownKeys() throws Exception {
        assertThat(new EndpointSecurity(base.toURI()).violations(ROLES, KEYS)).as("access-control violations")
                .isEmpty();
    }
}
