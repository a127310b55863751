package io.pirstream.testkit;

import io.pirstream.schemas.Topic;
import io.pirstream.schemas.TopicAdmin;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka cluster in this JVM: one {@link KafkaRaftServer} in combined broker + controller mode
 * (KRaft, no ZooKeeper, no Docker). Tests use it as the fast real broker; the launcher uses it as the
 * embedded default with a persistent data directory.
 *
 * <pre>{@code
 * try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build().start()) {
 *     broker.ensureTopics(Topics.core());
 *     String bootstrap = broker.bootstrapServers();
 * }
 * }</pre>
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    /** Tries with fresh ports when a picked port was taken before the broker bound it. */
    private static final int BIND_ATTEMPTS = 3;

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    /** How long {@link #start} waits for the broker to answer. */
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(60);
    private static final int NODE_ID = 1;

    private final Path dataDir;
    private final boolean deleteOnClose;
    private final int requestedPort;
    private final Map<String, String> overrides;
    private KafkaRaftServer server;
    private int port;

    private EmbeddedKafkaBroker(Builder builder) {
        this.deleteOnClose = builder.dataDir == null;
        this.dataDir = builder.dataDir != null ? builder.dataDir : createTempDir();
        this.requestedPort = builder.port;
        this.overrides = Map.copyOf(builder.overrides);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Settings of an embedded broker; every one is optional. */
    public static final class Builder {
        private Path dataDir;
        private int port;
        private final Map<String, String> overrides = new java.util.HashMap<>();

        /** Keeps the log in this directory across restarts (default: a temporary directory deleted on close). */
        public Builder optDataDir(Path dataDir) {
            this.dataDir = Objects.requireNonNull(dataDir, "dataDir must not be null");
            return this;
        }

        /** Client port (default 0: a free port). */
        public Builder optPort(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0..65535, got " + port);
            }
            this.port = port;
            return this;
        }

        /** Overrides one broker setting (e.g. {@code transaction.max.timeout.ms}). */
        public Builder optConfig(String key, String value) {
            overrides.put(key, value);
            return this;
        }

        public EmbeddedKafkaBroker build() {
            return new EmbeddedKafkaBroker(this);
        }
    }

    /**
     * Formats the data directory if it is new, starts the server and waits until it answers admin requests.
     *
     * @throws IllegalStateException if already started or the broker does not come up in time
     */
    public synchronized EmbeddedKafkaBroker start() {
        if (server != null) {
            throw new IllegalStateException("broker already started on " + bootstrapServers());
        }
        // Kafka needs its ports before it binds them (the controller's is part of its quorum config), so a free port
        // is picked first; another process may take it in between, hence a few tries with fresh ports.
        int attempts = requestedPort != 0 ? 1 : BIND_ATTEMPTS;
        for (int attempt = 1; ; attempt++) {
            port = requestedPort != 0 ? requestedPort : freePort();
            int controllerPort = freePort();
            while (controllerPort == port) {
                controllerPort = freePort();
            }
            Properties config = brokerConfig(port, controllerPort);
            formatIfNew(config);
            server = new KafkaRaftServer(new KafkaConfig(config, false), Time.SYSTEM);
            try {
                server.startup();
                break;
            } catch (RuntimeException e) {
                server.shutdown();
                server.awaitShutdown();
                server = null;
                if (attempt >= attempts || !isBindFailure(e)) {
                    throw e;
                }
                LOG.warn("Port {} or {} was taken before the broker bound it; retrying with fresh ports", port, controllerPort);
            }
        }
        awaitReady(DEFAULT_START_TIMEOUT);
        LOG.info("Embedded Kafka broker ready on {} (data in {})", bootstrapServers(), dataDir);
        return this;
    }

    /** {@code host:port} for clients. */
    public String bootstrapServers() {
        if (server == null) {
            throw new IllegalStateException("broker not started");
        }
        return "localhost:" + port;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** A new admin client; the caller closes it. */
    public Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
    }

    /** Creates the topics that are missing (replication factor 1) and reports those that differ. */
    public TopicAdmin.Report ensureTopics(List<? extends Topic<?, ?>> topics) {
        try (Admin admin = admin()) {
            return new TopicAdmin(admin, (short) 1, Duration.ofSeconds(30)).ensure(topics);
        }
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            server = null;
        }
        if (deleteOnClose) {
            deleteRecursively(dataDir);
        }
    }

    private Properties brokerConfig(int brokerPort, int controllerPort) {
        Properties config = new Properties();
        config.put("process.roles", "broker,controller");
        config.put("node.id", String.valueOf(NODE_ID));
        config.put("controller.quorum.voters", NODE_ID + "@localhost:" + controllerPort);
        config.put("listeners", "PLAINTEXT://localhost:" + brokerPort + ",CONTROLLER://localhost:" + controllerPort);
        config.put("advertised.listeners", "PLAINTEXT://localhost:" + brokerPort);
        config.put("controller.listener.names", "CONTROLLER");
        config.put("inter.broker.listener.name", "PLAINTEXT");
        config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        config.put("log.dirs", dataDir.toString());
        // single node: internal topics cannot be replicated, and few partitions make startup fast
        config.put("offsets.topic.replication.factor", "1");
        config.put("offsets.topic.num.partitions", "5");
        config.put("transaction.state.log.replication.factor", "1");
        config.put("transaction.state.log.min.isr", "1");
        config.put("transaction.state.log.num.partitions", "5");
        config.put("share.coordinator.state.topic.replication.factor", "1");
        config.put("share.coordinator.state.topic.min.isr", "1");
        config.put("group.initial.rebalance.delay.ms", "0");
        config.put("auto.create.topics.enable", "false");
        config.put("message.max.bytes", String.valueOf(io.pirstream.schemas.Topics.MAX_MESSAGE_BYTES + 1024 * 1024));
        config.putAll(overrides);
        return config;
    }

    private void formatIfNew(Properties config) {
        if (Files.exists(dataDir.resolve("meta.properties"))) {
            return;
        }
        try {
            Files.createDirectories(dataDir);
            Path file = dataDir.resolve("embedded-server.properties");
            try (var out = Files.newBufferedWriter(file)) {
                config.store(out, "embedded KRaft broker (written for storage formatting)");
            }
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            int status = StorageTool.execute(new String[] {"format", "-t", Uuid.randomUuid().toString(), "-c",
                    file.toString(), "--ignore-formatted"}, new PrintStream(output, true, StandardCharsets.UTF_8));
            if (status != 0) {
                throw new IllegalStateException("Formatting Kafka storage in " + dataDir + " failed: "
                        + output.toString(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare Kafka data directory " + dataDir, e);
        }
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        try (Admin admin = admin()) {
            while (System.nanoTime() < deadline) {
                try {
                    admin.describeCluster().nodes().get(5, java.util.concurrent.TimeUnit.SECONDS);
                    return;
                } catch (Exception e) {
                    last = new IllegalStateException(e);
                    sleep(100);
                }
            }
        }
        throw new IllegalStateException("Embedded Kafka broker did not answer within " + timeout, last);
    }

    private static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.BindException || String.valueOf(t.getMessage()).contains("Address already in use")) {
                return true;
            }
        }
        return false;
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("No free port", e);
        }
    }

    private static Path createTempDir() {
        try {
            return Files.createTempDirectory("pirstream-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a temporary Kafka data directory", e);
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            LOG.warn("Could not delete {}: {}", dir, e.getMessage());
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the broker", e);
        }
    }
}
