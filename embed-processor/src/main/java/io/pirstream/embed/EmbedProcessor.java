package io.pirstream.embed;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pirstream.model.DeviceChoice;
import io.pirstream.model.KernelThreads;
import io.pirstream.model.PirModel;
import io.pirstream.schemas.KafkaClientSecurity;
import io.pirstream.schemas.ModelReleases;
import io.pirstream.schemas.Topic;
import io.pirstream.schemas.TopicAccess;
import io.pirstream.schemas.TopicAdmin;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.DeadLetter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The embed-processor application: runs {@link ChipEmbeddingTopology} with exactly-once processing for every live
 * model release ({@link EmbeddingPipelines}), and serves health and metrics over HTTP. Run several instances with the
 * same application id prefix to share the partitions of {@code pir.chips}.
 */
@Command(name = "embed-processor", mixinStandardHelpOptions = true,
        description = "Embeds every chip on pir.chips with the PIR model into pir.embeddings.<model version>.")
public final class EmbedProcessor implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(EmbedProcessor.class);
    /** Default largest model call, in chips (see BENCHMARKS.md for the sweep it was chosen from). */
    public static final int DEFAULT_BATCH_SIZE = 16;
    /**
     * Default longest wait of a chip for others to join its batch while the model is idle. Short: chips that arrive
     * while the model is busy batch up anyway, so waiting only pays under light traffic, where latency matters.
     */
    public static final String DEFAULT_MAX_WAIT = "PT0.02S";
    /** Health and metrics are unauthenticated, so only this machine reaches them unless told otherwise. */
    public static final String DEFAULT_HTTP_HOST = "127.0.0.1";

    @Option(names = "--bootstrap-servers", defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS:-localhost:9092}",
            description = "Kafka brokers (env KAFKA_BOOTSTRAP_SERVERS; default: ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = "--application-id", defaultValue = "${env:PIRSTREAM_EMBED_APPLICATION_ID:-" + TopicAccess.EMBED_APPLICATION_ID + "}",
            description = "Prefix of the Kafka Streams application ids, <prefix>-<model version>; instances with the same"
                    + " prefix share the work (default: ${DEFAULT-VALUE}).")
    String applicationId;

    @Option(names = "--instance-id", defaultValue = "${env:PIRSTREAM_EMBED_INSTANCE_ID:-}",
            description = "Stable name of this instance, unique among those sharing the application ids (env"
                    + " PIRSTREAM_EMBED_INSTANCE_ID): static group membership, so that a restarted instance takes its"
                    + " partitions back at once instead of waiting out the session timeout of its previous run (45 s)."
                    + " Empty: dynamic membership (default: none).")
    String instanceId;

    @Option(names = "--checkpoint", defaultValue = "${env:PIRSTREAM_CHECKPOINT}",
            description = "PIR checkpoint folder run while pir.models has no active release (env PIRSTREAM_CHECKPOINT;"
                    + " default: the shipped model).")
    Path checkpoint;

    @Option(names = "--device", defaultValue = "${env:PIRSTREAM_EMBED_DEVICE:-auto}",
            description = "auto (GPU when DJL sees one), cpu or gpu (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--threads", defaultValue = "${env:PIRSTREAM_EMBED_THREADS:-0}",
            description = "Threads of the model's CPU kernels; 0: one per core but one, which is left to the stream"
                    + " thread decoding the next chips. Fewer when the machine is shared: busy-waiting kernel threads"
                    + " lose most when preempted (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--batch-size", defaultValue = "${env:PIRSTREAM_EMBED_BATCH_SIZE:-" + DEFAULT_BATCH_SIZE + "}",
            description = "Largest model call, in chips (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--max-wait", defaultValue = "${env:PIRSTREAM_EMBED_MAX_WAIT:-" + DEFAULT_MAX_WAIT + "}",
            converter = DurationConverter.class, description = "Longest wait of a chip for others to join its batch while the model is idle, ISO-8601"
                    + " (default: ${DEFAULT-VALUE}).")
    Duration maxWait;

    @Option(names = "--state-dir", defaultValue = "${env:PIRSTREAM_EMBED_STATE_DIR:-${sys:java.io.tmpdir}/pirstream-embed-${sys:user.name}}",
            description = "Kafka Streams state directory (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(names = "--http-host", defaultValue = "${env:PIRSTREAM_EMBED_HTTP_HOST:-" + DEFAULT_HTTP_HOST + "}",
            description = "Address /q/health and /q/metrics listen on; loopback by default, as they are not"
                    + " authenticated: set 0.0.0.0 only where the network is trusted (default: ${DEFAULT-VALUE}).")
    String httpHost;

    @Option(names = "--http-port", defaultValue = "${env:PIRSTREAM_EMBED_HTTP_PORT:-8082}",
            description = "Port of /q/health and /q/metrics; 0: any free port, logged (default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--replication-factor", defaultValue = "${env:PIRSTREAM_KAFKA_REPLICATION_FACTOR:-0}",
            description = "Replication factor of the topics this service creates and of its Kafka Streams internal"
                    + " topics; existing topics are checked against it. 0: min(3, brokers) (default: ${DEFAULT-VALUE}).")
    short replicationFactor;

    @Option(names = "--kafka-client-properties", defaultValue = "${env:" + KafkaClientSecurity.FILE_VARIABLE + "}",
            description = "Kafka client properties file with security.protocol, sasl.* and ssl.* settings (env "
                    + KafkaClientSecurity.FILE_VARIABLE + "); single settings also as environment variables"
                    + " PIRSTREAM_KAFKA_SECURITY_PROTOCOL, PIRSTREAM_KAFKA_SASL_MECHANISM, PIRSTREAM_KAFKA_SASL_JAAS_CONFIG,"
                    + " PIRSTREAM_KAFKA_SSL_..., which win over the file (default: none, plaintext).")
    Path kafkaClientProperties;

    @Option(names = "--follow-releases", defaultValue = "${env:PIRSTREAM_EMBED_FOLLOW_RELEASES:-true}", negatable = true,
            description = "Run one embedder per live release on pir.models (ACTIVE and SHADOW), the checkpoint above"
                    + " while none is active; --no-follow-releases: only the checkpoint above (default: ${DEFAULT-VALUE}).")
    boolean followReleases;

    @Option(names = "--max-rebalance", defaultValue = "${env:PIRSTREAM_EMBED_MAX_REBALANCE:-PT5M}",
            converter = DurationConverter.class, description = "Longest a pipeline may stay rebalancing (ISO-8601) before the processor exits to be restarted;"
                    + " above the longest restore of its state (default: ${DEFAULT-VALUE}).")
    Duration maxRebalance;

    @Option(names = "--chips-topic", defaultValue = "pir.chips", description = "Input topic (default: ${DEFAULT-VALUE}).")
    String chipsTopic;

    /** Parses ISO-8601 durations such as PT0.2S. */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return Duration.parse(value);
        }
    }

    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        System.exit(new CommandLine(new EmbedProcessor()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        // bad security settings stop the processor before the model loads, with the setting named
        KafkaClientSecurity security = KafkaClientSecurity.load(kafkaClientProperties, Map.of(), System.getenv());
        LOG.info("Kafka clients connect with {}", security);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        DeviceChoice deviceChoice = DeviceChoice.valueOf(device.toUpperCase(java.util.Locale.ROOT));
        // read once, when DJL starts PyTorch (at the model's load below). Kernels on every core would fight the
        // stream thread, which decodes the next chips meanwhile (measured in BENCHMARKS.md: 0.84 vs 0.97 x model-only)
        int modelThreads = threads > 0 ? threads : Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
        KernelThreads.use(modelThreads);
        Topic<String, Chip> chips = Topics.CHIPS.withName(chipsTopic);
        Topic<byte[], DeadLetter> dlq = Topics.DLQ;
        short replication = ensureTopics(security, List.of(chips, dlq, Topics.MODELS));
        CountDownLatch stopped = new CountDownLatch(1);
        EmbeddingPipelines.Settings settings = new EmbeddingPipelines.Settings(bootstrapServers, security, applicationId,
                instanceId, stateDir, batchSize, maxWait, replication, chips, dlq, deviceChoice, registry, maxRebalance);
        try (EmbeddingPipelines pipelines = new EmbeddingPipelines(settings,
                () -> checkpoint == null ? PirModel.loadDefault(deviceChoice) : PirModel.load(checkpoint, deviceChoice),
                stopped::countDown);
                HealthServer http = HealthServer.start(httpHost, httpPort, pipelines::state, registry, pipelines::describe)) {
            LOG.info("Health and metrics on http://{}:{}/q/health, /q/metrics", httpHost, http.port());
            ModelReleases.Watcher watcher = null;
            if (followReleases) {
                watcher = new ModelReleases.Watcher(security.apply(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrapServers)), pipelines::apply);
            } else {
                pipelines.apply(ModelReleases.Snapshot.empty());
            }
            ModelReleases.Watcher releases = watcher;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                if (releases != null) {
                    releases.close();
                }
                pipelines.close();
                stopped.countDown();
            }, "embed-processor-shutdown"));
            stopped.await();
            boolean failed = pipelines.failed();
            if (releases != null) {
                releases.close();
            }
            return failed ? 1 : 0;
        }
    }

    /** Kafka Streams settings of the processor: exactly-once, room for large chips and slow batches. */
    static Properties streamsConfig(String bootstrapServers, String applicationId, Path stateDir, int batchSize,
                                    short replicationFactor) {
        return streamsConfig(bootstrapServers, applicationId, "", stateDir, batchSize, replicationFactor);
    }

    /**
     * The same, as the static member {@code instanceId} of the group when that is not blank (Kafka Streams appends
     * each stream thread's index).
     */
    static Properties streamsConfig(String bootstrapServers, String applicationId, String instanceId, Path stateDir,
                                    int batchSize, short replicationFactor) {
        Properties props = new Properties();
        if (instanceId != null && !instanceId.isBlank()) {
            props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId.strip());
        }
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) replicationFactor);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG), Topics.MAX_MESSAGE_BYTES);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), Math.max(batchSize * 4, 100));
        // the buffer's changelog records are a chip plus its coordinates
        props.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
                ChipEmbeddingTopology.PENDING_CHANGELOG_MAX_BYTES);
        // finished embeddings are collected by a wall-clock punctuation, which runs between polls: an idle poll
        // must not hold them back for the default 100 ms
        props.put(StreamsConfig.POLL_MS_CONFIG, 10L);
        // a batch on a slow CPU can take seconds: leave room before the group considers this instance dead
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG), 600_000);
        return props;
    }

    /** Creates missing topics, reports drift and returns the replication factor of the policy, resolved. */
    private short ensureTopics(KafkaClientSecurity security, List<Topic<?, ?>> topics) {
        try (Admin admin = Admin.create(security.apply(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers)))) {
            short replication = TopicAdmin.replicationFactor(admin, replicationFactor, Duration.ofSeconds(30));
            new TopicAdmin(admin, replication, Duration.ofSeconds(30)).ensure(topics).mismatches()
                    .forEach(LOG::warn);
            return replication;
        }
    }
}
