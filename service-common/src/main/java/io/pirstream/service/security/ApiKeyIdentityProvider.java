package io.pirstream.service.security;

import io.quarkus.runtime.Startup;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.TokenAuthenticationRequest;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jboss.logging.Logger;

/** Checks API keys against the configured clients, in constant time. */
@ApplicationScoped
@Startup
public class ApiKeyIdentityProvider implements IdentityProvider<TokenAuthenticationRequest> {

    /** Shorter keys are refused at start-up: they can be guessed. */
    public static final int MIN_KEY_LENGTH = 16;

    private static final Logger LOG = Logger.getLogger(ApiKeyIdentityProvider.class);

    /** Client name -> (key, roles), only clients that have a key. */
    private final Map<String, Client> clients = new LinkedHashMap<>();

    private record Client(byte[] key, Set<String> roles) {
    }

    public ApiKeyIdentityProvider(AuthConfig config) {
        config.clients().forEach((name, client) -> {
            String key = client.key().map(String::strip).orElse("");
            if (key.isEmpty()) {
                LOG.infof("API client '%s' has no key configured: disabled", name);
                return;
            }
            if (key.length() < MIN_KEY_LENGTH) {
                throw new IllegalStateException("API key of client '" + name + "' is shorter than " + MIN_KEY_LENGTH
                        + " characters");
            }
            Set<String> unknown = new TreeSet<>(client.roles());
            unknown.removeAll(Roles.ALL);
            if (!unknown.isEmpty()) {
                throw new IllegalStateException("API client '" + name + "' has unknown role(s) " + unknown
                        + "; roles are " + new TreeSet<>(Roles.ALL));
            }
            clients.put(name, new Client(key.getBytes(StandardCharsets.UTF_8), Set.copyOf(client.roles())));
        });
        if (clients.isEmpty()) {
            throw new IllegalStateException("No API client has a key: set pirstream.auth.clients.<name>.key and"
                    + " .roles (the service never runs without authentication)");
        }
    }

    @Override
    public Class<TokenAuthenticationRequest> getRequestType() {
        return TokenAuthenticationRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(TokenAuthenticationRequest request, AuthenticationRequestContext context) {
        byte[] presented = request.getToken().getToken().getBytes(StandardCharsets.UTF_8);
        for (Map.Entry<String, Client> client : clients.entrySet()) {
            if (MessageDigest.isEqual(presented, client.getValue().key())) {
                return Uni.createFrom().item(QuarkusSecurityIdentity.builder()
                        .setPrincipal(new QuarkusPrincipal(client.getKey()))
                        .addRoles(client.getValue().roles())
                        .build());
            }
        }
        return Uni.createFrom().failure(new AuthenticationFailedException("unknown API key"));
    }
}
