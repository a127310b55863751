package io.pirstream.query.alerts;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs webhook deliveries. Each subscription has its own secret, derived from the configured signing key and the
 * subscription id (HMAC-SHA256), so no secret is stored on a topic and one leaked secret exposes one subscription.
 * A delivery carries {@code X-PIRStream-Timestamp: <epoch seconds>} and
 * {@code X-PIRStream-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>}; receivers recompute it and
 * refuse old timestamps (replays).
 */
public final class WebhookSigner {

    /** Shortest signing key accepted. */
    public static final int MIN_KEY_LENGTH = 16;
    private static final String ALGORITHM = "HmacSHA256";

    private final byte[] key;

    public WebhookSigner(String signingKey) {
        if (signingKey == null || signingKey.length() < MIN_KEY_LENGTH) {
            throw new IllegalArgumentException("pirstream.alerts.webhook.signing-key must be at least " + MIN_KEY_LENGTH
                    + " characters");
        }
        this.key = signingKey.getBytes(StandardCharsets.UTF_8);
    }

    /** The subscription's secret, as given to its owner at creation. */
    public String secret(String subscriptionId) {
        return HexFormat.of().formatHex(hmac(key, "pirstream-webhook:" + subscriptionId));
    }

    /** The signature header value of a delivery. */
    public String signature(String subscriptionId, long epochSeconds, byte[] body) {
        return sign(secret(subscriptionId), epochSeconds, body);
    }

    /** What a receiver computes with its secret: {@code sha256=<hex>}. */
    public static String sign(String secret, long epochSeconds, byte[] body) {
        byte[] prefix = (epochSeconds + ".").getBytes(StandardCharsets.UTF_8);
        byte[] message = new byte[prefix.length + body.length];
        System.arraycopy(prefix, 0, message, 0, prefix.length);
        System.arraycopy(body, 0, message, prefix.length, body.length);
        return "sha256=" + HexFormat.of().formatHex(hmac(secret.getBytes(StandardCharsets.UTF_8), message));
    }

    private static byte[] hmac(byte[] key, String message) {
        return hmac(key, message.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] hmac(byte[] key, byte[] message) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key, ALGORITHM));
            return mac.doFinal(message);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }
}
