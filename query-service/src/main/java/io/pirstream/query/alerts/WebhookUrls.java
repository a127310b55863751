package io.pirstream.query.alerts;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * Which webhook URLs alerts may be sent to: http(s) only, and never to this machine's or the internal network's
 * addresses (loopback, link-local, private, carrier-grade NAT, unique-local, multicast, unspecified), so that a
 * subscription cannot make the service call internal endpoints. Checked at creation and again before every
 * delivery, because a name can resolve elsewhere later.
 */
public final class WebhookUrls {

    /** Why a URL was refused: a message a person can act on. */
    public static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    private WebhookUrls() {
    }

    /**
     * @param allowLoopback accept 127.0.0.0/8 and ::1 (tests, the embedded default)
     * @return the parsed URL
     */
    public static URI check(String url, boolean allowLoopback) throws Refused {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new Refused("'webhookUrl' is not a URL: " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new Refused("'webhookUrl' must be an http or https URL; got scheme '" + scheme + "'");
        }
        if (uri.getHost() == null || uri.getHost().isBlank()) {
            throw new Refused("'webhookUrl' needs a host name, e.g. https://hooks.example.org/pirstream");
        }
        if (uri.getUserInfo() != null) {
            throw new Refused("'webhookUrl' must not carry credentials; alerts are signed instead (X-PIRStream-Signature)");
        }
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(uri.getHost());
        } catch (UnknownHostException e) {
            throw new Refused("'webhookUrl' host '" + uri.getHost() + "' does not resolve");
        }
        for (InetAddress address : addresses) {
            String kind = internalKind(address);
            if (kind != null && !(allowLoopback && address.isLoopbackAddress())) {
                throw new Refused("'webhookUrl' host '" + uri.getHost() + "' resolves to " + address.getHostAddress()
                        + ", a " + kind + " address; webhooks must point at a public address");
            }
        }
        return uri;
    }

    /** The kind of internal address, or null for a public one. */
    static String internalKind(InetAddress address) {
        if (address.isLoopbackAddress()) {
            return "loopback";
        }
        if (address.isLinkLocalAddress()) {
            return "link-local";
        }
        if (address.isSiteLocalAddress()) {
            return "private";
        }
        if (address.isMulticastAddress()) {
            return "multicast";
        }
        if (address.isAnyLocalAddress()) {
            return "unspecified";
        }
        byte[] b = address.getAddress();
        if (b.length == 4 && (b[0] & 0xFF) == 100 && (b[1] & 0xC0) == 64) {
            return "carrier-grade NAT"; // 100.64.0.0/10
        }
        if (address instanceof Inet6Address && (b[0] & 0xFE) == 0xFC) {
            return "unique-local"; // fc00::/7
        }
        return null;
    }
}
