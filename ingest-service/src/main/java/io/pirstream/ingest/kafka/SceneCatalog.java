package io.pirstream.ingest.kafka;

import io.pirstream.ingest.imagery.ChipIds;
import io.pirstream.schemas.Topic;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.SceneManifest;
import io.pirstream.service.kafka.KafkaClients;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;

/**
 * Which chips each uploaded scene has: this instance's view of the scene manifests topic, read from its beginning
 * (read_committed) and followed, so that {@code DELETE /v1/scenes/{id}} knows what to delete on any replica.
 *
 * <p>Uploads and deletes of this instance are applied as soon as they commit ({@link #applied}), with the offset they
 * got, so that a delete right after an upload finds its chips; a record read from the topic replaces an entry only if
 * it is not older than it. Chip ids are kept as 32 raw bytes each (a 10,000-chip scene holds 320 KB).
 */
@ApplicationScoped
public class SceneCatalog {

    private static final Logger LOG = Logger.getLogger(SceneCatalog.class);
    private static final HexFormat HEX = HexFormat.of();
    private static final int ID_BYTES = 32;

    /** A scene's chips, and where on the topic the manifest they come from is. */
    private record Entry(byte[] packedChipIds, int partition, long offset) {
        boolean olderThan(int otherPartition, long otherOffset) {
            return partition != otherPartition || offset <= otherOffset;
        }
    }

    private final KafkaConfig config;
    private final KafkaClients clients;
    private final Topic<String, SceneManifest> topic;
    /** Deleted scenes stay as entries without chips, so an older manifest read later cannot bring them back. */
    private final Map<String, Entry> scenes = new ConcurrentHashMap<>();
    private volatile boolean loaded;
    private volatile boolean stopping;
    private volatile KafkaConsumer<String, SceneManifest> consumer;
    private Thread follower;

    public SceneCatalog(KafkaConfig config, KafkaClients clients) {
        this.config = config;
        this.clients = clients;
        this.topic = Topics.SCENES.withName(config.scenesTopic());
    }

    public Topic<String, SceneManifest> topic() {
        return topic;
    }

    void onStart(@Observes StartupEvent event) {
        follower = new Thread(this::follow, "scene-catalog");
        follower.setDaemon(true);
        follower.start();
    }

    void onStop(@Observes ShutdownEvent event) throws InterruptedException {
        stopping = true;
        KafkaConsumer<String, SceneManifest> current = consumer;
        if (current != null) {
            current.wakeup();
        }
        if (follower != null) {
            follower.join(Duration.ofSeconds(5).toMillis());
        }
    }

    /** Whether the topic has been read to where it ended when this instance started: until then a scene may be missing. */
    public boolean loaded() {
        return loaded;
    }

    /** The chips of a scene; empty for a scene never uploaded or deleted. */
    public Optional<List<String>> chipIds(String sceneId) {
        Entry entry = scenes.get(sceneId);
        if (entry == null || entry.packedChipIds().length == 0) {
            return Optional.empty();
        }
        byte[] packed = entry.packedChipIds();
        List<String> ids = new ArrayList<>(packed.length / ID_BYTES);
        for (int at = 0; at < packed.length; at += ID_BYTES) {
            ids.add(HEX.formatHex(packed, at, at + ID_BYTES));
        }
        return Optional.of(ids);
    }

    /** Applies a manifest (null: the scene was deleted) this instance committed at {@code partition@offset}. */
    public void applied(String sceneId, SceneManifest manifest, int partition, long offset) {
        scenes.compute(sceneId, (id, current) -> current != null && !current.olderThan(partition, offset) ? current
                : new Entry(pack(manifest), partition, offset));
    }

    private void follow() {
        while (!stopping) {
            try (KafkaConsumer<String, SceneManifest> c = new KafkaConsumer<>(consumerConfig(),
                    topic.keySerde().deserializer(), topic.valueSerde().deserializer())) {
                consumer = c;
                List<TopicPartition> partitions = c.partitionsFor(topic.name(), config.maxBlock()).stream()
                        .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
                if (partitions.isEmpty()) {
                    throw new IllegalStateException("topic " + topic.name() + " does not exist yet");
                }
                c.assign(partitions);
                c.seekToBeginning(partitions);
                Map<TopicPartition, Long> ends = c.endOffsets(partitions, config.maxBlock());
                while (!stopping) {
                    for (ConsumerRecord<String, SceneManifest> record : c.poll(Duration.ofMillis(500))) {
                        applied(record.key(), record.value(), record.partition(), record.offset());
                    }
                    if (!loaded && partitions.stream().allMatch(p -> c.position(p) >= ends.get(p))) {
                        loaded = true;
                        LOG.infof("Scene catalog loaded from %s: %d scenes", topic.name(), scenes.size());
                    }
                }
            } catch (WakeupException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warnf("Scene catalog cannot read %s (%s); retrying", topic.name(), e.getMessage());
                sleep(Duration.ofSeconds(1));
            }
        }
    }

    private Map<String, Object> consumerConfig() {
        return clients.config(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MAX_MESSAGE_BYTES,
                ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) config.maxBlock().toMillis()));
    }

    private static byte[] pack(SceneManifest manifest) {
        if (manifest == null) {
            return new byte[0];
        }
        // a manifest is written by ingest, but the topic is open to any producer the ACLs allow: skip what is no chip id
        List<String> ids = manifest.getChipIds().stream().map(CharSequence::toString).filter(ChipIds::isChipId).toList();
        byte[] packed = new byte[ids.size() * ID_BYTES];
        for (int i = 0; i < ids.size(); i++) {
            System.arraycopy(HEX.parseHex(ids.get(i)), 0, packed, i * ID_BYTES, ID_BYTES);
        }
        return packed;
    }

    private void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
        }
    }
}
