package io.pirstream.testkit;

import io.pirstream.schemas.KafkaClientSecurity;
import io.pirstream.schemas.Topic;
import io.pirstream.schemas.TopicAccess;
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
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.ResourcePatternFilter;
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
 *
 * <p>With {@link Builder#optSaslScram} the broker authenticates every client (SASL/SCRAM-SHA-512 on its one client
 * listener, which it also uses itself) and authorizes every request ({@code StandardAuthorizer}, no ACL: denied);
 * {@link #SUPER_USER} may do anything, and {@link #addServicePrincipal} creates one principal per service with the
 * ACLs of {@link TopicAccess}:
 *
 * <pre>{@code
 * try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().optSaslScram(adminPassword).build().start()) {
 *     KafkaClientSecurity ingest = broker.addServicePrincipal(TopicAccess.Service.INGEST, ingestPassword);
 *     Producer<...> producer = new KafkaProducer<>(ingest.apply(Map.of("bootstrap.servers", broker.bootstrapServers())), ...);
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
    /** User name of the super user of a secured broker (the broker's own connections and {@link #admin()}). */
    public static final String SUPER_USER = "admin";
    /** Mechanism of the client listener of a secured broker. */
    public static final String SCRAM_MECHANISM = "SCRAM-SHA-512";
    private static final String CLIENT_LISTENER = "CLIENT";
    private static final int SCRAM_ITERATIONS = 8192;
    private static final Duration ACL_TIMEOUT = Duration.ofSeconds(30);

    private final Path dataDir;
    private final boolean deleteOnClose;
    /** The client port asked for (0: a free one); after {@link #stop}, the port it had, so a restart keeps it. */
    private int requestedPort;
    private final Map<String, String> overrides;
    /** Password of {@link #SUPER_USER}; {@code null}: an open broker (plaintext, no authorization). */
    private final String superUserPassword;
    private KafkaRaftServer server;
    private int port;

    private EmbeddedKafkaBroker(Builder builder) {
        this.deleteOnClose = builder.dataDir == null;
        this.dataDir = builder.dataDir != null ? builder.dataDir : createTempDir();
        this.requestedPort = builder.port;
        this.overrides = Map.copyOf(builder.overrides);
        this.superUserPassword = builder.superUserPassword;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Settings of an embedded broker; every one is optional. */
    public static final class Builder {
        private Path dataDir;
        private int port;
        private final Map<String, String> overrides = new java.util.HashMap<>();
        private String superUserPassword;

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

        /**
         * Authenticates clients with SASL/SCRAM-SHA-512 (over plaintext: loopback only) and authorizes requests with
         * ACLs; {@link #SUPER_USER} with this password may do anything. Its credential is written when the data
         * directory is formatted, so a kept data directory must be started with the same password.
         *
         * @throws IllegalArgumentException if the password is not 1-200 characters of {@code [A-Za-z0-9._@+-]}
         */
        public Builder optSaslScram(String superUserPassword) {
            KafkaClientSecurity.scramJaasConfig(SUPER_USER, superUserPassword); // checks the characters
            this.superUserPassword = superUserPassword;
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

    /** Whether clients must authenticate ({@link Builder#optSaslScram}). */
    public boolean secured() {
        return superUserPassword != null;
    }

    /** The security settings of {@link #SUPER_USER} (none on an open broker). */
    public KafkaClientSecurity superUserSecurity() {
        return secured() ? KafkaClientSecurity.scramSha512(SUPER_USER, superUserPassword, false) : KafkaClientSecurity.NONE;
    }

    /** Bootstrap servers plus the super user's security settings: a client configuration that may do anything. */
    public Map<String, Object> clientConfig() {
        return superUserSecurity().apply(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
    }

    /** A new admin client (the super user's on a secured broker); the caller closes it. */
    public Admin admin() {
        return Admin.create(clientConfig());
    }

    /**
     * Creates (or resets) a SCRAM-SHA-512 user and waits until the broker accepts it.
     *
     * @return the user's client security settings
     * @throws IllegalStateException on an open broker
     */
    public KafkaClientSecurity createUser(String user, String password) {
        KafkaClientSecurity security = KafkaClientSecurity.scramSha512(user, password, false);
        requireSecured("create a user");
        try (Admin admin = admin()) {
            await(admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS), password))).all(),
                    "create SCRAM user " + user);
        }
        // the credential reaches the broker's cache with the metadata it was written to: log in until it works
        long deadline = System.nanoTime() + ACL_TIMEOUT.toNanos();
        Map<String, Object> config = new HashMap<>(security.apply(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers())));
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000);
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try (Admin admin = Admin.create(config)) {
                admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                return security;
            } catch (Exception e) {
                last = new IllegalStateException(e);
                sleep(100);
            }
        }
        throw new IllegalStateException("User " + user + " cannot log in within " + ACL_TIMEOUT, last);
    }

    /**
     * Adds ACLs and waits until the authorizer has them.
     *
     * @throws IllegalStateException on an open broker
     */
    public void createAcls(Collection<AclBinding> acls) {
        requireSecured("create ACLs");
        try (Admin admin = admin()) {
            await(admin.createAcls(acls).all(), "create " + acls.size() + " ACLs");
            long deadline = System.nanoTime() + ACL_TIMEOUT.toNanos();
            while (!await(admin.describeAcls(AclBindingFilter.ANY).values(), "describe ACLs").containsAll(acls)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("ACLs not in effect within " + ACL_TIMEOUT);
                }
                sleep(50);
            }
        }
    }

    /**
     * Removes the ALLOW ACLs of one principal on resources matching {@code resources} for {@code operation} and
     * waits until the authorizer no longer has them (tests of what a missing grant does).
     *
     * @return the ACLs removed
     */
    public Collection<AclBinding> deleteAcls(String user, ResourcePatternFilter resources, AclOperation operation) {
        requireSecured("delete ACLs");
        AclBindingFilter filter = new AclBindingFilter(resources, new AccessControlEntryFilter("User:" + user, null,
                operation, AclPermissionType.ALLOW));
        try (Admin admin = admin()) {
            Collection<AclBinding> deleted = await(admin.deleteAcls(List.of(filter)).all(), "delete ACLs of " + user);
            long deadline = System.nanoTime() + ACL_TIMEOUT.toNanos();
            while (!await(admin.describeAcls(filter).values(), "describe ACLs").isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("ACLs still in effect after " + ACL_TIMEOUT);
                }
                sleep(50);
            }
            return deleted;
        }
    }

    /**
     * Creates the principal of one service ({@code User:<service user>}) with the ACLs {@link TopicAccess} gives it.
     *
     * @return the service's client security settings
     */
    public KafkaClientSecurity addServicePrincipal(TopicAccess.Service service, String password) {
        KafkaClientSecurity security = createUser(service.user(), password);
        createAcls(TopicAccess.aclBindings(service, service.user()));
        return security;
    }

    /** Creates the topics that are missing (replication factor 1) and reports those that differ. */
    public TopicAdmin.Report ensureTopics(List<? extends Topic<?, ?>> topics) {
        try (Admin admin = admin()) {
            return new TopicAdmin(admin, (short) 1, Duration.ofSeconds(30)).ensure(topics);
        }
    }

    /**
     * Stops the server and keeps its data: clients see Kafka unavailable until {@link #start} brings it back, on the
     * same client port (fault tests).
     *
     * @throws IllegalStateException if not started
     */
    public synchronized void stop() {
        if (server == null) {
            throw new IllegalStateException("broker not started");
        }
        server.shutdown();
        server.awaitShutdown();
        server = null;
        requestedPort = port;
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
        config.put("controller.listener.names", "CONTROLLER");
        if (secured()) {
            secureListeners(config, brokerPort, controllerPort);
        } else {
            config.put("listeners", "PLAINTEXT://localhost:" + brokerPort + ",CONTROLLER://localhost:" + controllerPort);
            config.put("advertised.listeners", "PLAINTEXT://localhost:" + brokerPort);
            config.put("inter.broker.listener.name", "PLAINTEXT");
            config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        }
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

    /**
     * SCRAM-SHA-512 on the client listener, which the broker also uses for its own requests (transaction markers) as
     * the super user, whose credential is written at format time; PLAIN between broker and controller, because KRaft
     * controllers cannot check SCRAM credentials (those live in the metadata the controller serves). Every request is
     * authorized, and no ACL means denied.
     */
    private void secureListeners(Properties config, int brokerPort, int controllerPort) {
        String client = CLIENT_LISTENER.toLowerCase(java.util.Locale.ROOT);
        config.put("listeners", CLIENT_LISTENER + "://localhost:" + brokerPort + ",CONTROLLER://localhost:" + controllerPort);
        config.put("advertised.listeners", CLIENT_LISTENER + "://localhost:" + brokerPort);
        config.put("listener.security.protocol.map", CLIENT_LISTENER + ":SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT");
        config.put("inter.broker.listener.name", CLIENT_LISTENER);
        config.put("sasl.mechanism.inter.broker.protocol", SCRAM_MECHANISM);
        config.put("listener.name." + client + ".sasl.enabled.mechanisms", SCRAM_MECHANISM);
        config.put("listener.name." + client + "." + SCRAM_MECHANISM.toLowerCase(java.util.Locale.ROOT)
                + ".sasl.jaas.config", KafkaClientSecurity.scramJaasConfig(SUPER_USER, superUserPassword));
        config.put("sasl.mechanism.controller.protocol", "PLAIN");
        config.put("listener.name.controller.sasl.enabled.mechanisms", "PLAIN");
        config.put("listener.name.controller.plain.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + SUPER_USER
                        + "\" password=\"" + superUserPassword + "\" user_" + SUPER_USER + "=\"" + superUserPassword + "\";");
        config.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        config.put("super.users", "User:" + SUPER_USER);
        config.put("allow.everyone.if.no.acl.found", "false");
    }

    private void requireSecured(String what) {
        if (!secured()) {
            throw new IllegalStateException("Cannot " + what + ": the broker was built without optSaslScram");
        }
    }

    private static <T> T await(org.apache.kafka.common.KafkaFuture<T> future, String what) {
        try {
            return future.get(ACL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while trying to " + what, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Cannot " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Cannot " + what + ": no answer within " + ACL_TIMEOUT, e);
        }
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
            List<String> arguments = new ArrayList<>(List.of("format", "-t", Uuid.randomUuid().toString(), "-c",
                    file.toString(), "--ignore-formatted"));
            if (secured()) {
                // the super user's credential, in the first metadata: the broker needs it before anyone can add one
                arguments.addAll(List.of("--add-scram", SCRAM_MECHANISM + "=[name=" + SUPER_USER + ",password="
                        + superUserPassword + "]"));
            }
            int status;
            try {
                status = StorageTool.execute(arguments.toArray(String[]::new),
                        new PrintStream(output, true, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(file); // it holds the broker's passwords when secured, and is only needed here
            }
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
