package io.pirstream.launcher;

import io.pirstream.schemas.KafkaClientSecurity;
import io.pirstream.schemas.TopicAccess;
import io.pirstream.schemas.Topics;
import io.pirstream.testkit.EmbeddedKafkaBroker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The running embedded default: the broker with its topics and every service, each in its own JVM as in
 * production, restarted by a {@link Supervisor} when it exits or its liveness check fails. Stopped in reverse order
 * of start (the supervisor first).
 */
final class Stack implements AutoCloseable {

    private static final Duration SERVICE_START_TIMEOUT = Duration.ofMinutes(3);

    /**
     * What to start. A port of 0 means any free port.
     *
     * @param keys the services' API keys, one per role
     * @param checkpoint PIR checkpoint for embedding and queries; empty: the shipped model
     * @param kafkaAuthentication the broker authenticates (SASL/SCRAM) and authorizes (ACLs of {@link TopicAccess})
     *     every client, and each service connects as its own principal; needs a fresh data directory
     */
    record Settings(Path home, Path data, int kafkaPort, int ingestPort, int embedPort, int queryPort, ApiKeys keys,
                    Path dropFolder, Optional<Path> checkpoint, Set<Service> services, Map<String, String> environment,
                    boolean kafkaAuthentication) {

        /** Kafka without authentication (loopback only). */
        Settings(Path home, Path data, int kafkaPort, int ingestPort, int embedPort, int queryPort, ApiKeys keys,
                 Path dropFolder, Optional<Path> checkpoint, Set<Service> services, Map<String, String> environment) {
            this(home, data, kafkaPort, ingestPort, embedPort, queryPort, keys, dropFolder, checkpoint, services,
                    environment, false);
        }

        /** Every service, default environment. */
        Settings(Path home, Path data, int kafkaPort, int ingestPort, int embedPort, int queryPort, ApiKeys keys,
                 Path dropFolder, Optional<Path> checkpoint, Set<Service> services) {
            this(home, data, kafkaPort, ingestPort, embedPort, queryPort, keys, dropFolder, checkpoint, services, Map.of());
        }
    }

    /** The services the stack can run, each with its Kafka principal. */
    enum Service {
        INGEST(TopicAccess.Service.INGEST), EMBED(TopicAccess.Service.EMBED), QUERY(TopicAccess.Service.QUERY);

        private final TopicAccess.Service principal;

        Service(TopicAccess.Service principal) {
            this.principal = principal;
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final List<AutoCloseable> running;
    private final EmbeddedKafkaBroker broker;
    private final ServiceProcess ingest;
    private final ServiceProcess embed;
    private final ServiceProcess query;
    private final Map<Service, KafkaClientSecurity> kafkaSecurity;

    private Stack(List<AutoCloseable> running, EmbeddedKafkaBroker broker, ServiceProcess ingest, ServiceProcess embed,
                  ServiceProcess query, Map<Service, KafkaClientSecurity> kafkaSecurity) {
        this.running = running;
        this.kafkaSecurity = kafkaSecurity;
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
            System.out.println("Starting the embedded Kafka broker on localhost:" + kafkaPort
                    + (settings.kafkaAuthentication() ? " (SASL/SCRAM, ACLs)" : "") + " ...");
            EmbeddedKafkaBroker.Builder builder = EmbeddedKafkaBroker.builder()
                    .optDataDir(settings.data().resolve("kafka")).optPort(kafkaPort);
            if (settings.kafkaAuthentication()) {
                if (Files.exists(settings.data().resolve("kafka/meta.properties"))) {
                    // the super user's credential is written when the log is formatted, with this start's password
                    throw new IllegalStateException("Kafka authentication needs a fresh data directory; "
                            + settings.data().resolve("kafka") + " exists");
                }
                builder.optSaslScram(password());
            }
            EmbeddedKafkaBroker broker = builder.build().start();
            running.add(broker);
            broker.ensureTopics(Topics.core()).mismatches().forEach(System.out::println);
            Map<Service, KafkaClientSecurity> kafkaSecurity = new EnumMap<>(Service.class);
            Map<Service, Map<String, String>> kafkaEnvironment = new EnumMap<>(Service.class);
            for (Service service : settings.services()) {
                kafkaEnvironment.put(service, Map.of());
                if (settings.kafkaAuthentication()) {
                    KafkaClientSecurity security = broker.addServicePrincipal(service.principal, password());
                    kafkaSecurity.put(service, security);
                    kafkaEnvironment.put(service, Map.of(KafkaClientSecurity.FILE_VARIABLE,
                            clientProperties(settings.data(), service, security).toString()));
                }
            }

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
                        with(common, kafkaEnvironment.get(Service.INGEST), "PIRSTREAM_INGEST_KEY", settings.keys().ingest(), "PIRSTREAM_OPERATOR_KEY",
                                settings.keys().operator(), "PIRSTREAM_DROP_FOLDER", settings.dropFolder().toString()),
                        logs, List.of("-Xmx2g", "-Dquarkus.http.port=" + ingestPort));
                running.add(ingest);
            }

            int embedPort = orFree(settings.embedPort());
            if (settings.services().contains(Service.EMBED)) {
                embed = ServiceProcess.start("embed-processor",
                        home.resolve("embed-processor/target/embed-processor.jar"), embedPort,
                        with(common, kafkaEnvironment.get(Service.EMBED), "PIRSTREAM_EMBED_HTTP_PORT", String.valueOf(embedPort), "PIRSTREAM_EMBED_STATE_DIR",
                                settings.data().resolve("state/embed").toString(), "PIRSTREAM_EMBED_INSTANCE_ID",
                                setting(common, "PIRSTREAM_EMBED_INSTANCE_ID", "embedded-embed-1"), "PIRSTREAM_EMBED_THREADS",
                                setting(common, "PIRSTREAM_EMBED_THREADS", String.valueOf(sharedMachineModelThreads()))),
                        logs, List.of("-Xmx2g", "-Dai.djl.offline=true", djl), embedNiceness(common));
                running.add(embed);
            }

            int queryPort = orFree(settings.queryPort());
            if (settings.services().contains(Service.QUERY)) {
                query = ServiceProcess.start("query-service",
                        home.resolve("query-service/target/quarkus-app/quarkus-run.jar"), queryPort,
                        with(common, kafkaEnvironment.get(Service.QUERY), "PIRSTREAM_ANALYST_KEY", settings.keys().analyst(), "PIRSTREAM_OPERATOR_KEY",
                                settings.keys().operator(), "PIRSTREAM_QUERY_STATE_DIR",
                                settings.data().resolve("state/query").toString(), "PIRSTREAM_ALERTS_INSTANCE_ID",
                                setting(common, "PIRSTREAM_ALERTS_INSTANCE_ID", "embedded-query-1")),
                        logs, List.of("-Xmx2g", "-Dai.djl.offline=true", djl, "-Dquarkus.http.port=" + queryPort));
                running.add(query);
            }

            List<ServiceProcess> services = java.util.stream.Stream.of(ingest, embed, query)
                    .filter(java.util.Objects::nonNull).toList();
            for (ServiceProcess service : services) {
                System.out.println("Waiting for " + service.name() + " on " + service.baseUrl() + " ...");
                service.awaitReady(SERVICE_START_TIMEOUT);
            }
            running.add(Supervisor.watch(services, System.out));
            return new Stack(running, broker, ingest, embed, query, Map.copyOf(kafkaSecurity));
        } catch (RuntimeException e) {
            new Stack(running, null, null, null, null, Map.of()).close();
            throw e;
        }
    }

    /** A service's Kafka client properties file, private to this user: the service reads its credentials there. */
    private static Path clientProperties(Path data, Service service, KafkaClientSecurity security) {
        Path folder = data.resolve("kafka-clients");
        Path file = folder.resolve(service.name().toLowerCase(java.util.Locale.ROOT) + ".properties");
        java.util.Properties properties = new java.util.Properties();
        properties.putAll(security.settings());
        try {
            ApiKeys.createPrivateFolder(folder);
            java.io.StringWriter text = new java.io.StringWriter();
            properties.store(text, "Kafka client settings of " + service.principal.user());
            ApiKeys.writePrivate(file, text.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + file, e);
        }
        return file;
    }

    private static String password() {
        byte[] secret = new byte[24];
        RANDOM.nextBytes(secret);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(secret).replace('_', '.');
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

    /**
     * How much the embed-processor yields the CPU on the shared machine ({@code PIRSTREAM_EMBED_NICENESS}, default
     * 10, 0 for none): searches are interactive and embedding is a stream that catches up, so when both want the cores
     * the searches go first. Without competition the embedder still gets every idle cycle.
     */
    static int embedNiceness(Map<String, String> environment) {
        String value = environment.getOrDefault("PIRSTREAM_EMBED_NICENESS",
                System.getenv().getOrDefault("PIRSTREAM_EMBED_NICENESS", "10"));
        try {
            int niceness = Integer.parseInt(value.trim());
            if (niceness < 0 || niceness > 19) {
                throw new NumberFormatException();
            }
            return niceness;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("PIRSTREAM_EMBED_NICENESS must be 0-19 (0: same priority as the other"
                    + " services), not '" + value + "'");
        }
    }

    /** A child's setting: the launcher's configured environment, else its own process environment, else the default. */
    private static String setting(Map<String, String> common, String name, String fallback) {
        return common.getOrDefault(name, System.getenv().getOrDefault(name, fallback));
    }

    private static Map<String, String> with(Map<String, String> common, Map<String, String> kafka, String... pairs) {
        Map<String, String> environment = new HashMap<>(common);
        environment.putAll(kafka);
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

    /** The Kafka client settings a service connects with (with {@link Settings#kafkaAuthentication()}). */
    Optional<KafkaClientSecurity> kafkaSecurity(Service service) {
        return Optional.ofNullable(kafkaSecurity.get(service));
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
