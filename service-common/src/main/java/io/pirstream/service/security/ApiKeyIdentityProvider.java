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
import java.util.Map;

/** Checks API keys against the configured clients, in constant time. */
@ApplicationScoped
@Startup
public class ApiKeyIdentityProvider implements IdentityProvider<TokenAuthenticationRequest> {

    /** Shorter keys are refused at start-up: they can be guessed. */
    public static final int MIN_KEY_LENGTH = 16;

    private final Map<String, AuthConfig.Client> clients;

    public ApiKeyIdentityProvider(AuthConfig config) {
        this.clients = Map.copyOf(config.clients());
        if (clients.isEmpty()) {
            throw new IllegalStateException("No API clients configured: set pirstream.auth.clients.<name>.key and"
                    + " .roles (the service never runs without authentication)");
        }
        clients.forEach((name, client) -> {
            if (client.key().length() < MIN_KEY_LENGTH) {
                throw new IllegalStateException("API key of client '" + name + "' is shorter than " + MIN_KEY_LENGTH
                        + " characters");
            }
        });
    }

    @Override
    public Class<TokenAuthenticationRequest> getRequestType() {
        return TokenAuthenticationRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(TokenAuthenticationRequest request, AuthenticationRequestContext context) {
        byte[] presented = request.getToken().getToken().getBytes(StandardCharsets.UTF_8);
        for (Map.Entry<String, AuthConfig.Client> client : clients.entrySet()) {
            if (MessageDigest.isEqual(presented, client.getValue().key().getBytes(StandardCharsets.UTF_8))) {
                return Uni.createFrom().item(QuarkusSecurityIdentity.builder()
                        .setPrincipal(new QuarkusPrincipal(client.getKey()))
                        .addRoles(client.getValue().roles())
                        .build());
            }
        }
        return Uni.createFrom().failure(new AuthenticationFailedException("unknown API key"));
    }
}
