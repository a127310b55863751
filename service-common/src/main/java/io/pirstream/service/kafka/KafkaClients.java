package io.pirstream.service.kafka;

import io.pirstream.schemas.KafkaClientSecurity;
import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

/**
 * The Kafka client security settings of a Quarkus service ({@link KafkaClientSecurity}: a client properties file,
 * {@code pirstream.kafka-client.security.protocol} / {@code sasl.*} / {@code ssl.*} properties, {@code PIRSTREAM_KAFKA_*}
 * environment variables), read once at start-up; every producer, consumer, admin and Streams client of the service
 * takes its configuration through {@link #config}. Settings that cannot work stop the service at start-up.
 */
@Startup
@Singleton
public class KafkaClients {

    private static final Logger LOG = Logger.getLogger(KafkaClients.class);

    private final KafkaClientSecurity security;

    public KafkaClients(Config config) {
        Map<String, String> properties = new HashMap<>();
        for (String name : config.getPropertyNames()) {
            if (name.startsWith(KafkaClientSecurity.PROPERTY_PREFIX)) {
                config.getOptionalValue(name, String.class).ifPresent(value -> properties.put(name, value));
            }
        }
        Path file = config.getOptionalValue(KafkaClientSecurity.FILE_PROPERTY, String.class).filter(s -> !s.isBlank())
                .map(Path::of).orElse(null);
        this.security = KafkaClientSecurity.load(file, properties, System.getenv());
        LOG.infof("Kafka clients connect with %s", security);
    }

    /** A copy of a client configuration with the security settings added. */
    public Map<String, Object> config(Map<String, ?> clientConfig) {
        return security.apply(clientConfig);
    }

    /** Adds the security settings to a (Streams) configuration and returns it. */
    public Properties config(Properties clientConfig) {
        return security.applyTo(clientConfig);
    }

    public KafkaClientSecurity security() {
        return security;
    }
}
