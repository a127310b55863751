package io.pirstream.launcher;

import io.pirstream.schemas.Topics;
import io.pirstream.testkit.EmbeddedKafkaBroker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The running embedded default: the broker with its topics and every service. Services are listed in
 * {@link #start} in dependency order and stopped in reverse.
 */
final class Stack implements AutoCloseable {

    private static final Duration SERVICE_START_TIMEOUT = Duration.ofMinutes(3);

    private final List<AutoCloseable> running;
    private final EmbeddedKafkaBroker broker;
    private final ServiceProcess ingest;

    private Stack(List<AutoCloseable> running, EmbeddedKafkaBroker broker, ServiceProcess ingest) {
        this.running = running;
        this.broker = broker;
        this.ingest = ingest;
    }

    /**
     * Starts the broker (data in {@code data/kafka}), creates the topics, starts the services and waits for them.
     * A port of 0 means any free port.
     */
    static Stack start(Path home, Path data, int kafkaPort, int ingestPort, String apiKey, Path dropFolder) {
        List<AutoCloseable> running = new ArrayList<>();
        kafkaPort = kafkaPort == 0 ? freePort() : kafkaPort;
        ingestPort = ingestPort == 0 ? freePort() : ingestPort;
        try {
            System.out.println("Starting the embedded Kafka broker on localhost:" + kafkaPort + " ...");
            EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().optDataDir(data.resolve("kafka"))
                    .optPort(kafkaPort).build().start();
            running.add(broker);
            broker.ensureTopics(Topics.core()).mismatches().forEach(System.out::println);

            Map<String, String> environment = Map.of(
                    "KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                    "PIRSTREAM_INGEST_KEY", apiKey,
                    "PIRSTREAM_DROP_FOLDER", dropFolder.toString());
            System.out.println("Starting ingest-service on http://localhost:" + ingestPort + " ...");
            ServiceProcess ingest = ServiceProcess.start("ingest-service",
                    home.resolve("ingest-service/target/quarkus-app/quarkus-run.jar"), ingestPort, environment,
                    data.resolve("logs"), List.of("-Xmx2g"));
            running.add(ingest);
            ingest.awaitReady(SERVICE_START_TIMEOUT);
            return new Stack(running, broker, ingest);
        } catch (RuntimeException e) {
            new Stack(running, null, null).close();
            throw e;
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("No free port", e);
        }
    }

    EmbeddedKafkaBroker broker() {
        return broker;
    }

    ServiceProcess ingest() {
        return ingest;
    }

    /** Stops services first, then the broker. Safe to call twice. */
    @Override
    public synchronized void close() {
        for (int i = running.size() - 1; i >= 0; i--) {
            try {
                running.get(i).close();
            } catch (Exception e) {
                System.err.println("Error while stopping: " + e);
            }
        }
        running.clear();
    }
}
