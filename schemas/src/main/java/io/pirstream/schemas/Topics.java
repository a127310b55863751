package io.pirstream.schemas;

import io.pirstream.schemas.avro.Alert;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.DeadLetter;
import io.pirstream.schemas.avro.Embedding;
import io.pirstream.schemas.avro.Feedback;
import io.pirstream.schemas.avro.ModelRelease;
import io.pirstream.schemas.avro.SceneManifest;
import io.pirstream.schemas.avro.StandingQuery;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Every PIRStream topic, in one place: default names, key and value serdes, and the configuration each is
 * created with. Services may rename topics in their configuration ({@link Topic#withName}) but never
 * restate a name as a literal.
 */
public final class Topics {

    /** Largest record a topic accepts: a 1024 px PNG chip with metadata fits with room to spare. */
    public static final int MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
    /** Default partition count of the high-volume topics (chips, embeddings). */
    public static final int DEFAULT_PARTITIONS = 6;
    /** Retention of alerts and dead letters. */
    public static final Duration EVENT_RETENTION = Duration.ofDays(30);
    /**
     * {@code delete.retention.ms} of the compacted topics that carry deletes (chips, scenes, embeddings): how long a
     * tombstone stays readable after compaction reaches it. A reader that resumes from local state after being away
     * longer may never see a delete; the query index rebuilds from its topic instead (see the query service's
     * VectorStore). Set explicitly, not left to the broker's default (24 h), so that the readers can rely on it.
     */
    public static final Duration DELETE_RETENTION = Duration.ofDays(7);
    /** Prefix of the per-model embedding topics: {@code pir.embeddings.<model version>}. */
    public static final String EMBEDDINGS_PREFIX = "pir.embeddings.";

    /** Global store of the alert matcher: the standing queries of its model version, fed by {@link #QUERIES}. */
    public static final String SUBSCRIPTIONS_STORE = "alerts-subscriptions";
    /** Changelogged store of the alert matcher: embeddings waiting for the next batched match. */
    public static final String MATCH_BUFFER_STORE = "alerts-match-buffer";
    /** Changelogged store of the alert matcher: per chip, the subscriptions already alerted (one alert per pair). */
    public static final String ALERTED_STORE = "alerts-alerted";

    private static final Pattern MODEL_VERSION = Pattern.compile("[A-Za-z0-9._-]{1,200}");
    private static final String MAX_BYTES = String.valueOf(MAX_MESSAGE_BYTES);
    private static final String FOREVER = "-1";

    /**
     * Chips to embed, keyed by chip id. Compacted: every distinct chip is kept for replay (a new model version
     * re-embeds everything from here), a re-upload of the same scene rewrites the same keys instead of growing the
     * topic, and a tombstone deletes a chip (its embeddings and index entries follow).
     */
    public static final Topic<String, Chip> CHIPS = new Topic<>("pir.chips", Serdes.String(),
            AvroSerde.of(Chip.class), DEFAULT_PARTITIONS, Map.of("cleanup.policy", "compact",
            "delete.retention.ms", millis(DELETE_RETENTION), "max.message.bytes", MAX_BYTES));

    /** The chip ids of every uploaded frame and scene, so that a scene can be deleted; keyed by scene id. */
    public static final Topic<String, SceneManifest> SCENES = new Topic<>("pir.scenes", Serdes.String(),
            AvroSerde.of(SceneManifest.class), 3, Map.of("cleanup.policy", "compact",
            "delete.retention.ms", millis(DELETE_RETENTION), "max.message.bytes", MAX_BYTES));

    /** Standing text queries; a tombstone deletes one. */
    public static final Topic<String, StandingQuery> QUERIES = new Topic<>("pir.queries", Serdes.String(),
            AvroSerde.of(StandingQuery.class), 3, Map.of("cleanup.policy", "compact"));

    /** Alerts raised when new imagery matches a standing query. */
    public static final Topic<String, Alert> ALERTS = new Topic<>("pir.alerts", Serdes.String(),
            AvroSerde.of(Alert.class), 3,
            Map.of("cleanup.policy", "delete", "retention.ms", millis(EVENT_RETENTION)));

    /** User feedback on results: training data for the next model version, so kept forever. */
    public static final Topic<String, Feedback> FEEDBACK = new Topic<>("pir.feedback", Serdes.String(),
            AvroSerde.of(Feedback.class), 3, Map.of("cleanup.policy", "delete", "retention.ms", FOREVER));

    /** Model releases, latest per model name. */
    public static final Topic<String, ModelRelease> MODELS = new Topic<>("pir.models", Serdes.String(),
            AvroSerde.of(ModelRelease.class), 1, Map.of("cleanup.policy", "compact"));

    /** Records that a reader could not process, with the cause. Keys are the original key bytes. */
    public static final Topic<byte[], DeadLetter> DLQ = new Topic<>("pir.dlq", Serdes.ByteArray(),
            AvroSerde.of(DeadLetter.class), 1,
            Map.of("cleanup.policy", "delete", "retention.ms", millis(EVENT_RETENTION),
                    "max.message.bytes", MAX_BYTES));

    private Topics() {
    }

    /**
     * The compacted embedding topic of one model version. One topic never mixes model versions.
     *
     * @throws IllegalArgumentException if the version contains characters Kafka does not allow in a name
     */
    public static Topic<String, Embedding> embeddings(String modelVersion) {
        if (modelVersion == null || !MODEL_VERSION.matcher(modelVersion).matches()) {
            throw new IllegalArgumentException("model version must be 1-200 characters of [A-Za-z0-9._-], got '"
                    + modelVersion + "'");
        }
        return new Topic<>(EMBEDDINGS_PREFIX + modelVersion, Serdes.String(), AvroSerde.of(Embedding.class),
                DEFAULT_PARTITIONS, Map.of("cleanup.policy", "compact", "delete.retention.ms", millis(DELETE_RETENTION),
                "max.message.bytes", MAX_BYTES));
    }

    /** The topics every deployment has, whatever model versions exist. */
    public static List<Topic<?, ?>> core() {
        return List.of(CHIPS, SCENES, QUERIES, ALERTS, FEEDBACK, MODELS, DLQ);
    }

    private static String millis(Duration duration) {
        return String.valueOf(duration.toMillis());
    }
}
