package io.pirstream.service.security;

import io.smallrye.config.ConfigMapping;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * API clients allowed to call the service, e.g.
 * {@code pirstream.auth.clients.drone-gateway.key=...} and {@code pirstream.auth.clients.drone-gateway.roles=ingest}.
 */
@ConfigMapping(prefix = "pirstream.auth")
public interface AuthConfig {

    /**
     * Clients by name. At least one needs a key: the service does not run without authentication. A client without
     * a key (its environment variable unset) is disabled.
     */
    Map<String, Client> clients();

    interface Client {
        /** The secret the client sends as a bearer token or {@code X-API-Key}. At least 16 characters. */
        Optional<String> key();

        /** Roles granted, some of {@link Roles#ALL}. */
        Set<String> roles();
    }
}
