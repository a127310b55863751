package io.pirstream.launcher;

import io.pirstream.schemas.Topics;
import io.pirstream.testkit.EmbeddedKafkaBroker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The running embedded default: the broker with its topics and every service, each in its own JVM as in
 * production. Stopped in reverse order of start.
 */
final class Stack implements AutoCloseable {

    private static final Duration SERVICE_START_TIMEOUT = Duration.ofMinutes(3);

    /**
     * What to start. A port of 0 means any free port.
     *
     * @param keys the services' API keys, one per role
     * @param checkpoint PIR checkpoint for embedding and queries; empty: the shipped model
     */
    record Settings(Path home, Path data, int kafkaPort, int ingestPort, int embedPort, int queryPort, ApiKeys keys,
                    Path dropFolder, Optional<Path> checkpoint, Set<Service> services, Map<String, String> environment) {

        /** Every service, default environment. */
        Settings(Path home, Path data, int kafkaPort, int ingestPort, int embedPort, int queryPort, ApiKeys keys,
                 Path dropFolder, Optional<Path> checkpoint, Set<Service> services) {
            this(home, data, kafkaPort, ingestPort, embedPort, queryPort, keys, dropFolder, checkpoint, services, Map.of());
        }
    }

    /** The services the stack can run. */
    enum Service { INGEST, EMBED, QUERY }

    private final List<AutoCloseable> running;
    private final EmbeddedKafkaBroker broker;
    private final ServiceProcess ingest;
    private final ServiceProcess embed;
    private final ServiceProcess query;

    private Stack(List<AutoCloseable> running, EmbeddedKafkaBroker broker, ServiceProcess ingest, ServiceProcess embed,
                  ServiceProcess query) {
        this.running = running;
        this.broker = broker;
        this.ingest = ingest;
        this.embed = embed;
        this.query = query;
    }

    /** Starts the broker (data in {@code data/kafka}), creates the topics, starts the services and waits for them. */
    static Stack start(Settings settings) {
        List<AutoCloseable> running = new ArrayList<>();
        Path home = settings.home();
        Path logs = settings.data().resolve("logs");
        try {
            int kafkaPort = orFree(settings.kafkaPort());
            System.out.println("Starting the embedded Kafka broker on localhost:" + kafkaPort + " ...");
            EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().optDataDir(settings.data().resolve("kafka"))
                    .optPort(kafkaPort).build().start();
            running.add(broker);
            broker.ensureTopics(Topics.core()).mismatches().forEach(System.out::println);

            Map<String, String> common = new HashMap<>(settings.environment());
            common.put("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers());
            settings.checkpoint().ifPresent(dir -> common.put("PIRSTREAM_CHECKPOINT", dir.toAbsolutePath().toString()));
            // one extracted PyTorch for every run (about 430 MB): the same cache the tests use
            String djl = "-DENGINE_CACHE_DIR=" + System.getProperty("ENGINE_CACHE_DIR",
                    Path.of(System.getProperty("user.home"), ".pirstream", "djl").toString());

            ServiceProcess ingest = null;
            ServiceProcess embed = null;
            ServiceProcess query = null;
            int ingestPort = orFree(settings.ingestPort());
            if (settings.services().contains(Service.INGEST)) {
                ingest = ServiceProcess.start("ingest-service",
                        home.resolve("ingest-service/target/quarkus-app/quarkus-run.jar"), ingestPort,
                        with(common, "PIRSTREAM_INGEST_KEY", settings.keys().ingest(), "PIRSTREAM_OPERATOR_KEY",
                                settings.keys().operator(), "PIRSTREAM_DROP_FOLDER", settings.dropFolder().toString()),
                        logs, List.of("-Xmx2g", "-Dquarkus.http.port=" + ingestPort));
                running.add(ingest);
            }

            int embedPort = orFree(settings.embedPort());
            if (settings.services().contains(Service.EMBED)) {
                embed = ServiceProcess.start("embed-processor",
                        home.resolve("embed-processor/target/embed-processor.jar"), embedPort,
                        with(common, "PIRSTREAM_EMBED_HTTP_PORT", String.valueOf(embedPort), "PIRSTREAM_EMBED_STATE_DIR",
                                settings.data().resolve("state/embed").toString(), "PIRSTREAM_EMBED_THREADS",
                                common.getOrDefault("PIRSTREAM_EMBED_THREADS", System.getenv().getOrDefault(
                                        "PIRSTREAM_EMBED_THREADS", String.valueOf(sharedMachineModelThreads())))),
                        logs, List.of("-Xmx2g", "-Dai.djl.offline=true", djl));
                running.add(embed);
            }

            int queryPort = orFree(settings.queryPort());
            if (settings.services().contains(Service.QUERY)) {
                query = ServiceProcess.start("query-service",
                        home.resolve("query-service/target/quarkus-app/quarkus-run.jar"), queryPort,
                        with(common, "PIRSTREAM_ANALYST_KEY", settings.keys().analyst(), "PIRSTREAM_OPERATOR_KEY",
                                settings.keys().operator(), "PIRSTREAM_QUERY_STATE_DIR",
                                settings.data().resolve("state/query").toString()),
                        logs, List.of("-Xmx2g", "-Dai.djl.offline=true", djl, "-Dquarkus.http.port=" + queryPort));
                running.add(query);
            }

            for (ServiceProcess service : java.util.stream.Stream.of(ingest, embed, query).filter(java.util.Objects::nonNull).toList()) {
                System.out.println("Waiting for " + service.name() + " on " + service.baseUrl() + " ...");
                service.awaitReady(SERVICE_START_TIMEOUT);
            }
            return new Stack(running, broker, ingest, embed, query);
        } catch (RuntimeException e) {
            new Stack(running, null, null, null, null).close();
            throw e;
        }
    }

    /**
     * Model kernel threads for an embed-processor that shares the machine with the broker and the other services:
     * every core. With the v1 model (0.3 GFLOP per chip) half the cores was faster on 2 cores, since the kernel
     * threads' spinning cost more than they computed; the v2 model (0.76 GFLOP) needs them: at 20 chips/s on 2 cores,
     * 590 of 600 chips were searchable within the run with 2 threads against 438 of 500 with 1 (BENCHMARKS.md).
     */
    static int sharedMachineModelThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    private static Map<String, String> with(Map<String, String> common, String... pairs) {
        Map<String, String> environment = new HashMap<>(common);
        for (int i = 0; i < pairs.length; i += 2) {
            environment.put(pairs[i], pairs[i + 1]);
        }
        return environment;
    }

    private static int orFree(int port) {
        if (port != 0) {
            return port;
        }
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

    ServiceProcess embed() {
        return embed;
    }

    ServiceProcess query() {
        return query;
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
