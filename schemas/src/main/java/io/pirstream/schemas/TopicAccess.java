package io.pirstream.schemas;

import static org.apache.kafka.common.acl.AclOperation.ALL;
import static org.apache.kafka.common.acl.AclOperation.CREATE;
import static org.apache.kafka.common.acl.AclOperation.DELETE;
import static org.apache.kafka.common.acl.AclOperation.DESCRIBE;
import static org.apache.kafka.common.acl.AclOperation.DESCRIBE_CONFIGS;
import static org.apache.kafka.common.acl.AclOperation.READ;
import static org.apache.kafka.common.acl.AclOperation.WRITE;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * Who reads and writes what: one Kafka principal per service and the least it needs, derived from the topic
 * contracts in {@link Topics} and the services' default client ids (the constants below, which the services take as
 * their defaults). The embedded broker's secure mode creates ACLs from this table; Kubernetes user resources are meant
 * to come from it too.
 *
 * <p>Every service creates the topics it uses when they are missing and compares existing ones with their contract,
 * hence {@code CREATE} and {@code DESCRIBE_CONFIGS} next to {@code READ} / {@code WRITE} (and {@code DESCRIBE}, which
 * both imply). A Kafka Streams application needs its consumer group, its internal topics (prefixed by its
 * application id) and, with exactly-once, its transactional ids (the same prefix).
 */
public final class TopicAccess {

    /**
     * Application id prefix of the embed-processor's Streams applications: one per live model release,
     * {@code <prefix>-<version>}.
     */
    public static final String EMBED_APPLICATION_ID = "pirstream-embed";
    /**
     * Application id prefix of the query service's indexes, {@code <prefix>-<version>} (one per instance in production:
     * give each its own prefix).
     */
    public static final String QUERY_APPLICATION_ID = "pirstream-query";
    /** Application id of the alert matcher (the same on every replica). */
    public static final String ALERTS_APPLICATION_ID = "pirstream-alerts";
    /** Consumer group of the webhook dispatcher. */
    public static final String WEBHOOKS_GROUP_ID = "pirstream-webhooks";
    /** Prefix of the ingest service's transactional ids ({@code <prefix><instance>-<n>}). */
    public static final String INGEST_TRANSACTIONAL_ID_PREFIX = "pirstream-ingest-";
    /** Prefix of the transactional ids that write {@code pir.models} (the fine-tune job and the admin CLI). */
    public static final String RELEASES_TRANSACTIONAL_ID_PREFIX = "pirstream-releases-";

    /** The services, each with its own principal. */
    public enum Service {
        INGEST("pirstream-ingest"),
        EMBED("pirstream-embed"),
        QUERY("pirstream-query"),
        /** The fine-tune job: reads feedback and the chips it names, publishes candidate releases. */
        FINETUNE("pirstream-finetune"),
        /** The operators' CLI (pir-admin): release transitions, replay, progress; retiring deletes a topic. */
        ADMIN("pirstream-admin");

        private final String user;

        Service(String user) {
            this.user = user;
        }

        /** Default user name of the service's principal ({@code User:<name>}). */
        public String user() {
            return user;
        }
    }

    /**
     * Operations allowed on one resource.
     *
     * @param resource topic, group or transactional id, by literal name or prefix
     * @param operations what the principal may do with it
     */
    public record Grant(ResourcePattern resource, Set<AclOperation> operations) {
        public Grant {
            Objects.requireNonNull(resource, "resource must not be null");
            operations = Set.copyOf(operations);
        }
    }

    private TopicAccess() {
    }

    /** What a service's principal may do, with the default topic names and client ids. */
    public static List<Grant> grants(Service service) {
        Objects.requireNonNull(service, "service must not be null");
        Map<ResourcePattern, Set<AclOperation>> grants = new LinkedHashMap<>();
        switch (service) {
            case INGEST -> {
                // chips in upload transactions; deletes are tombstones on the same topic
                writes(grants, topic(Topics.CHIPS));
                // scene manifests: written in the upload's transaction, read back to know a scene's chips
                writes(grants, topic(Topics.SCENES));
                reads(grants, topic(Topics.SCENES));
                transactionalIds(grants, INGEST_TRANSACTIONAL_ID_PREFIX);
            }
            case EMBED -> {
                reads(grants, topic(Topics.CHIPS));
                reads(grants, topic(Topics.MODELS));
                writes(grants, embeddingTopics());
                writes(grants, topic(Topics.DLQ));
                streamsApplication(grants, EMBED_APPLICATION_ID, true);
            }
            case QUERY -> {
                // the index (a global store) and the alert matcher read the embeddings of the query model
                reads(grants, embeddingTopics());
                creates(grants, embeddingTopics());
                streamsApplication(grants, QUERY_APPLICATION_ID, false);
                // standing queries: written by the API, read by every matcher's global store
                writes(grants, topic(Topics.QUERIES));
                reads(grants, topic(Topics.QUERIES));
                writes(grants, topic(Topics.ALERTS));
                reads(grants, topic(Topics.ALERTS));
                streamsApplication(grants, ALERTS_APPLICATION_ID, true);
                group(grants, WEBHOOKS_GROUP_ID);
                // feedback: written by the API, read back by the ledger (assigned partitions, no group)
                writes(grants, topic(Topics.FEEDBACK));
                reads(grants, topic(Topics.FEEDBACK));
                writes(grants, topic(Topics.DLQ));
                // which model answers: the index and the matcher follow the releases
                reads(grants, topic(Topics.MODELS));
            }
            case FINETUNE -> {
                reads(grants, topic(Topics.FEEDBACK));
                reads(grants, topic(Topics.CHIPS));
                reads(grants, topic(Topics.MODELS));
                writes(grants, topic(Topics.MODELS));
                transactionalIds(grants, RELEASES_TRANSACTIONAL_ID_PREFIX);
            }
            case ADMIN -> {
                reads(grants, topic(Topics.MODELS));
                writes(grants, topic(Topics.MODELS));
                transactionalIds(grants, RELEASES_TRANSACTIONAL_ID_PREFIX);
                // progress: end offsets of chips and embeddings, committed offsets of the embedders' groups
                add(grants, topic(Topics.CHIPS), DESCRIBE);
                add(grants, embeddingTopics(), DESCRIBE, DELETE);
                add(grants, new ResourcePattern(ResourceType.GROUP, EMBED_APPLICATION_ID, PatternType.PREFIXED), DESCRIBE);
            }
            default -> throw new AssertionError(service);
        }
        List<Grant> list = new ArrayList<>();
        grants.forEach((resource, operations) -> list.add(new Grant(resource, operations)));
        return List.copyOf(list);
    }

    /** {@link #grants} as ALLOW bindings for {@code User:<user>} from any host. */
    public static List<AclBinding> aclBindings(Service service, String user) {
        Objects.requireNonNull(user, "user must not be null");
        List<AclBinding> bindings = new ArrayList<>();
        for (Grant grant : grants(service)) {
            for (AclOperation operation : grant.operations()) {
                bindings.add(new AclBinding(grant.resource(), new AccessControlEntry("User:" + user, "*", operation,
                        AclPermissionType.ALLOW)));
            }
        }
        return List.copyOf(bindings);
    }

    private static ResourcePattern topic(Topic<?, ?> topic) {
        return new ResourcePattern(ResourceType.TOPIC, topic.name(), PatternType.LITERAL);
    }

    private static ResourcePattern embeddingTopics() {
        return new ResourcePattern(ResourceType.TOPIC, Topics.EMBEDDINGS_PREFIX, PatternType.PREFIXED);
    }

    private static void reads(Map<ResourcePattern, Set<AclOperation>> grants, ResourcePattern topic) {
        add(grants, topic, READ, DESCRIBE, CREATE, DESCRIBE_CONFIGS);
    }

    private static void writes(Map<ResourcePattern, Set<AclOperation>> grants, ResourcePattern topic) {
        add(grants, topic, WRITE, DESCRIBE, CREATE, DESCRIBE_CONFIGS);
    }

    private static void creates(Map<ResourcePattern, Set<AclOperation>> grants, ResourcePattern topic) {
        add(grants, topic, CREATE, DESCRIBE, DESCRIBE_CONFIGS);
    }

    private static void group(Map<ResourcePattern, Set<AclOperation>> grants, String groupId) {
        add(grants, new ResourcePattern(ResourceType.GROUP, groupId, PatternType.LITERAL), READ, DESCRIBE);
    }

    private static void groups(Map<ResourcePattern, Set<AclOperation>> grants, String prefix) {
        add(grants, new ResourcePattern(ResourceType.GROUP, prefix, PatternType.PREFIXED), READ, DESCRIBE);
    }

    private static void transactionalIds(Map<ResourcePattern, Set<AclOperation>> grants, String prefix) {
        add(grants, new ResourcePattern(ResourceType.TRANSACTIONAL_ID, prefix, PatternType.PREFIXED), WRITE, DESCRIBE);
    }

    /**
     * Groups ({@code <id>} and {@code <id>-<version>}), internal topics ({@code <id>-...}: changelogs, repartition) and,
     * with exactly-once, transactional ids (the same prefix).
     */
    private static void streamsApplication(Map<ResourcePattern, Set<AclOperation>> grants, String applicationId,
                                           boolean exactlyOnce) {
        groups(grants, applicationId);
        add(grants, new ResourcePattern(ResourceType.TOPIC, applicationId + "-", PatternType.PREFIXED), ALL);
        if (exactlyOnce) {
            transactionalIds(grants, applicationId + "-");
        }
    }

    private static void add(Map<ResourcePattern, Set<AclOperation>> grants, ResourcePattern resource,
                            AclOperation... operations) {
        grants.computeIfAbsent(resource, r -> EnumSet.noneOf(AclOperation.class)).addAll(List.of(operations));
    }
}
