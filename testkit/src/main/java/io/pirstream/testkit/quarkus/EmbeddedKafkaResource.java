package io.pirstream.testkit.quarkus;

import io.pirstream.testkit.EmbeddedKafkaBroker;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * Quarkus test resource that points a service at the embedded KRaft broker. The broker is shared by every
 * Quarkus test of the JVM (Quarkus restarts the application per test profile; the broker need not restart) and
 * stops with the JVM.
 *
 * <pre>{@code @QuarkusTestResource(EmbeddedKafkaResource.class)}</pre>
 */
public class EmbeddedKafkaResource implements QuarkusTestResourceLifecycleManager {

    /** Config keys set to the broker's address. */
    public static final String[] BOOTSTRAP_KEYS = {"pirstream.kafka.bootstrap-servers", "kafka.bootstrap.servers",
        "quarkus.kafka-streams.bootstrap-servers"};

    private static EmbeddedKafkaBroker broker;

    /** The JVM-wide broker, started on first use. */
    public static synchronized EmbeddedKafkaBroker broker() {
        if (broker == null) {
            broker = EmbeddedKafkaBroker.builder().build().start();
            Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "embedded-kafka-shutdown"));
        }
        return broker;
    }

    @Override
    public Map<String, String> start() {
        String bootstrap = broker().bootstrapServers();
        Map<String, String> config = new java.util.HashMap<>();
        for (String key : BOOTSTRAP_KEYS) {
            config.put(key, bootstrap);
        }
        return config;
    }

    @Override
    public void stop() {
        // shared: stopped by the shutdown hook
    }
}
