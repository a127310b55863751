package io.pirstream.schemas;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.security.auth.SecurityProtocol;

/**
 * How a service connects to Kafka securely: the standard Kafka client settings {@code security.protocol},
 * {@code sasl.*} and {@code ssl.*}, applied to every producer, consumer, admin and Streams client the service
 * creates. Every service reads them the same way, later sources winning:
 *
 * <ol>
 *   <li>a Kafka client properties file (the format of the Kafka tools' {@code --command-config}), named by
 *       {@value #FILE_VARIABLE} (Quarkus services also: {@value #FILE_PROPERTY});
 *   <li>properties {@code pirstream.kafka-client.<setting>}, e.g. {@code pirstream.kafka-client.sasl.mechanism}
 *       (Quarkus services);
 *   <li>environment variables {@code PIRSTREAM_KAFKA_<SETTING>}: the setting upper-cased, dots as underscores, e.g.
 *       {@code PIRSTREAM_KAFKA_SASL_JAAS_CONFIG}.
 * </ol>
 *
 * <p>Nothing set: plaintext, as before. Settings that cannot work are refused when they are read, with a message that
 * names the setting and where it came from, never its value: an unknown setting (a typo), SASL settings without a SASL
 * protocol (Kafka would ignore them and connect unauthenticated), a SASL protocol without a JAAS configuration, a
 * JAAS login module of another mechanism. Everything else (bootstrap servers, serdes, transactions) stays with the
 * service, apart from the {@link #CONNECTION_SETUP} timing, which every client gets unless its service sets its own.
 */
public final class KafkaClientSecurity {

    /** Environment variable naming a Kafka client properties file. */
    public static final String FILE_VARIABLE = "PIRSTREAM_KAFKA_CLIENT_PROPERTIES";
    /** Configuration property naming a Kafka client properties file (Quarkus services). */
    public static final String FILE_PROPERTY = "pirstream.kafka-client.file";
    /**
     * Prefix of the configuration properties. Not {@code pirstream.kafka.}: a service's own mapping of that prefix
     * would refuse the client's settings as unknown properties of its own.
     */
    public static final String PROPERTY_PREFIX = "pirstream.kafka-client.";
    private static final String VARIABLE_PREFIX = "PIRSTREAM_KAFKA_";

    /** Settings this class accepts: the client's security settings, nothing that changes a service's behaviour. */
    private static final Set<String> ALLOWED = allowedSettings();
    private static final Pattern PLAIN_CREDENTIAL = Pattern.compile("[A-Za-z0-9._@+-]{1,200}");
    private static final Map<String, String> LOGIN_MODULES = Map.of(
            "SCRAM-SHA-256", "org.apache.kafka.common.security.scram.ScramLoginModule",
            "SCRAM-SHA-512", "org.apache.kafka.common.security.scram.ScramLoginModule",
            "PLAIN", "org.apache.kafka.common.security.plain.PlainLoginModule",
            "OAUTHBEARER", "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule");

    /** No settings: plaintext. */
    public static final KafkaClientSecurity NONE = new KafkaClientSecurity(Map.of());

    /**
     * A connection attempt that is not set up within 5 s is given up and tried again, the timeout doubling up to 10 s
     * (Kafka's defaults: 10 s, up to 30 s). A restarted broker can come back at a new address (a container, a pod);
     * an attempt at the old one hangs until this timeout, and with Kafka's the stream threads reconnected about 20 s
     * after the broker was back (RELIABILITY.md, "broker restart"). On a network where a broker answers at all, it
     * answers a connection within milliseconds.
     */
    public static final Map<String, Object> CONNECTION_SETUP = Map.of(
            CommonClientConfigs.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, 5_000L,
            CommonClientConfigs.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, 10_000L);

    private final Map<String, String> settings;

    private KafkaClientSecurity(Map<String, String> settings) {
        this.settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    }

    /**
     * Reads the settings of a service.
     *
     * @param file a Kafka client properties file; {@code null}: the one {@value #FILE_VARIABLE} names, if any
     * @param properties configuration properties; those named {@code pirstream.kafka-client.<setting>} are read, the others
     *     ignored
     * @param environment environment variables; those named {@code PIRSTREAM_KAFKA_<SETTING>} (security, SASL, SSL)
     *     are read
     * @throws IllegalArgumentException if a setting is unknown or the settings together cannot work
     */
    public static KafkaClientSecurity load(Path file, Map<String, String> properties, Map<String, String> environment) {
        Objects.requireNonNull(properties, "properties must not be null");
        Objects.requireNonNull(environment, "environment must not be null");
        Map<String, String> settings = new LinkedHashMap<>();
        Map<String, String> sources = new HashMap<>();
        Path named = file != null ? file : blankToNull(environment.get(FILE_VARIABLE)) == null ? null
                : Path.of(environment.get(FILE_VARIABLE));
        if (named != null) {
            readFile(named).forEach((key, value) -> put(settings, sources, key, value, named.toString()));
        }
        properties.forEach((name, value) -> {
            if (name.startsWith(PROPERTY_PREFIX) && isSecuritySetting(name.substring(PROPERTY_PREFIX.length()))) {
                put(settings, sources, name.substring(PROPERTY_PREFIX.length()), value, name);
            }
        });
        environment.forEach((name, value) -> {
            if (name.startsWith(VARIABLE_PREFIX) && !name.equals(FILE_VARIABLE)) {
                String key = name.substring(VARIABLE_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
                if (isSecuritySetting(key)) {
                    put(settings, sources, key, value, name);
                }
            }
        });
        return validated(settings, sources);
    }

    /** The settings of {@link #load} from this process's environment alone (the embed-processor, tools). */
    public static KafkaClientSecurity fromEnvironment() {
        return load(null, Map.of(), System.getenv());
    }

    /**
     * Given settings, checked as {@link #load} checks them.
     *
     * @throws IllegalArgumentException if a setting is unknown or the settings together cannot work
     */
    public static KafkaClientSecurity of(Map<String, String> settings) {
        Map<String, String> sources = new HashMap<>();
        settings.keySet().forEach(key -> sources.put(key, "the given settings"));
        return validated(new LinkedHashMap<>(settings), sources);
    }

    /**
     * SASL/SCRAM-SHA-512 with a user name and password, over plaintext ({@code tls = false}: a trusted network or
     * tests) or TLS (with the JVM's trust store unless {@code ssl.*} settings are added).
     *
     * @throws IllegalArgumentException if the user or password holds characters that need quoting in JAAS
     */
    public static KafkaClientSecurity scramSha512(String user, String password, boolean tls) {
        return of(Map.of(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG,
                (tls ? SecurityProtocol.SASL_SSL : SecurityProtocol.SASL_PLAINTEXT).name,
                SaslConfigs.SASL_MECHANISM, "SCRAM-SHA-512",
                SaslConfigs.SASL_JAAS_CONFIG, scramJaasConfig(user, password)));
    }

    /** The JAAS configuration of a SCRAM client login. */
    public static String scramJaasConfig(String user, String password) {
        requirePlain(user, "SCRAM user");
        requirePlain(password, "SCRAM password");
        return LOGIN_MODULES.get("SCRAM-SHA-512") + " required username=\"" + user + "\" password=\"" + password + "\";";
    }

    /** The settings, to add to a client's configuration (or to write to a client properties file). */
    public Map<String, String> settings() {
        return settings;
    }

    /** Whether any setting is present (otherwise plaintext). */
    public boolean isEnabled() {
        return !settings.isEmpty();
    }

    /**
     * A copy of a client configuration with these settings added (they never collide with a service's own), and the
     * {@link #CONNECTION_SETUP} timing where the configuration has none.
     */
    public Map<String, Object> apply(Map<String, ?> clientConfig) {
        Map<String, Object> config = new HashMap<>(CONNECTION_SETUP);
        config.putAll(clientConfig);
        config.putAll(settings);
        return config;
    }

    /** As {@link #apply}, adding to a Streams (or any) configuration in place; returns it. */
    public Properties applyTo(Properties clientConfig) {
        CONNECTION_SETUP.forEach(clientConfig::putIfAbsent);
        clientConfig.putAll(settings);
        return clientConfig;
    }

    /** The protocol in use, {@code PLAINTEXT} unless set. */
    public SecurityProtocol protocol() {
        return SecurityProtocol.forName(settings.getOrDefault(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "PLAINTEXT"));
    }

    /** Protocol and mechanism, for logs; never a credential. */
    @Override
    public String toString() {
        String mechanism = settings.get(SaslConfigs.SASL_MECHANISM);
        return protocol().name + (mechanism == null ? "" : " " + mechanism);
    }

    private static boolean isSecuritySetting(String key) {
        return key.equals(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG) || key.startsWith("security.")
                || key.startsWith("sasl.") || key.startsWith("ssl.");
    }

    private static void put(Map<String, String> settings, Map<String, String> sources, String key, String value,
                            String source) {
        String trimmed = value == null ? "" : value.trim();
        if (trimmed.isEmpty()) {
            return; // an unset variable behind a property placeholder
        }
        settings.put(key, trimmed);
        sources.put(key, source);
    }

    private static KafkaClientSecurity validated(Map<String, String> settings, Map<String, String> sources) {
        List<String> unknown = new ArrayList<>();
        settings.keySet().stream().filter(key -> !ALLOWED.contains(key)).sorted()
                .forEach(key -> unknown.add(key + " (from " + sources.get(key) + ")"));
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("Unknown Kafka client security setting " + String.join(", ", unknown)
                    + "; accepted: security.protocol and the Kafka client's sasl.* and ssl.* settings");
        }
        String protocolName = settings.getOrDefault(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "PLAINTEXT");
        SecurityProtocol protocol;
        try {
            protocol = SecurityProtocol.forName(protocolName);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("security.protocol (from " + sources.get(CommonClientConfigs
                    .SECURITY_PROTOCOL_CONFIG) + ") must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL, got '"
                    + protocolName + "'", e);
        }
        boolean sasl = protocol == SecurityProtocol.SASL_PLAINTEXT || protocol == SecurityProtocol.SASL_SSL;
        boolean tls = protocol == SecurityProtocol.SSL || protocol == SecurityProtocol.SASL_SSL;
        String firstSasl = first(settings, "sasl.");
        String firstSsl = first(settings, "ssl.");
        if (!sasl && firstSasl != null) {
            throw new IllegalArgumentException(firstSasl + " (from " + sources.get(firstSasl) + ") is set but"
                    + " security.protocol is " + protocol.name + ", so Kafka would ignore it and connect without"
                    + " authentication; set security.protocol=SASL_SSL (or SASL_PLAINTEXT on a trusted network)");
        }
        if (!tls && firstSsl != null) {
            throw new IllegalArgumentException(firstSsl + " (from " + sources.get(firstSsl) + ") is set but"
                    + " security.protocol is " + protocol.name + ", so Kafka would ignore it and connect without TLS;"
                    + " set security.protocol=SSL or SASL_SSL");
        }
        if (sasl) {
            String mechanism = settings.getOrDefault(SaslConfigs.SASL_MECHANISM, SaslConfigs.DEFAULT_SASL_MECHANISM);
            String jaas = settings.get(SaslConfigs.SASL_JAAS_CONFIG);
            if (jaas == null && !"GSSAPI".equals(mechanism)) {
                throw new IllegalArgumentException("security.protocol=" + protocol.name + " with sasl.mechanism="
                        + mechanism + " needs sasl.jaas.config (PIRSTREAM_KAFKA_SASL_JAAS_CONFIG), e.g. "
                        + LOGIN_MODULES.getOrDefault(mechanism, "<LoginModule>")
                        + " required username=\"...\" password=\"...\";");
            }
            String module = LOGIN_MODULES.get(mechanism);
            if (jaas != null && module != null && !jaas.trim().startsWith(module)) {
                throw new IllegalArgumentException("sasl.jaas.config (from " + sources.get(SaslConfigs.SASL_JAAS_CONFIG)
                        + ") does not start with " + module + ", the login module of sasl.mechanism=" + mechanism);
            }
        }
        return new KafkaClientSecurity(settings);
    }

    private static String first(Map<String, String> settings, String prefix) {
        return settings.keySet().stream().filter(key -> key.startsWith(prefix)).sorted().findFirst().orElse(null);
    }

    private static Map<String, String> readFile(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the Kafka client properties file " + file + " ("
                    + FILE_VARIABLE + ")", e);
        }
        Map<String, String> read = new LinkedHashMap<>();
        new TreeSet<>(properties.stringPropertyNames()).forEach(key -> read.put(key, properties.getProperty(key)));
        return read;
    }

    private static Set<String> allowedSettings() {
        Set<String> allowed = new TreeSet<>();
        AdminClientConfig.configNames().stream().filter(KafkaClientSecurity::isSecuritySetting).forEach(allowed::add);
        return Collections.unmodifiableSet(allowed);
    }

    private static void requirePlain(String value, String what) {
        if (value == null || !PLAIN_CREDENTIAL.matcher(value).matches()) {
            throw new IllegalArgumentException(what + " must be 1-200 characters of [A-Za-z0-9._@+-]");
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
