package io.pirstream.deploy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.pirstream.schemas.KafkaClientSecurity;
import io.pirstream.schemas.ModelReleases;
import io.pirstream.schemas.Topic;
import io.pirstream.schemas.TopicAccess;
import io.pirstream.schemas.Topics;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;

/**
 * Checks a set of Kubernetes manifests against the code: the topic contracts ({@link Topics}), the ACLs
 * ({@link TopicAccess}), and what each service reads ({@link ServiceContract}). Each check returns the problems it
 * finds, one sentence each naming the resource; none means the manifests agree with the code.
 */
final class ManifestChecks {

    /** The Strimzi Kafka cluster's name: it prefixes the bootstrap service and the cluster CA secret. */
    static final String KAFKA_CLUSTER = "pirstream";
    /** Secret of the API keys, with one key per role and the webhook signing key. */
    static final String API_KEYS_SECRET = "pirstream-api-keys";
    /** Keys a Strimzi SCRAM KafkaUser's secret holds. */
    private static final Set<String> USER_SECRET_KEYS = Set.of("password", "sasl.jaas.config");
    /** Keys of Strimzi's cluster CA certificate secret. */
    private static final Set<String> CLUSTER_CA_KEYS = Set.of("ca.crt", "ca.p12", "ca.password");

    /** Profile gpu's image tag: {@code pirstream-embed:0.1.0-cu124}. */
    private static final Pattern CUDA_BUILD_TAG = Pattern.compile(":[^/:@]*-cu\\d+$");
    /** PyTorch 2.5.1's CUDA 12.4 libraries take 3.8 GiB extracted; with room for the JNI library and temp files. */
    private static final long CUDA_LIBRARY_GIB = 5;

    private final Manifests manifests;
    private final String modelVersion;
    private final Set<String> apiKeys;
    private final List<String> problems = new ArrayList<>();
    /** Model versions of the embeddings topics declared here (filled by {@link #topics}). */
    private final Set<String> embeddingVersions = new TreeSet<>();

    /**
     * @param modelVersion version of the shipped model, whose embeddings topic must be declared
     * @param apiKeys keys the API keys secret has (where it is made: the dev overlay's generator)
     */
    private ManifestChecks(Manifests manifests, String modelVersion, Set<String> apiKeys) {
        this.manifests = manifests;
        this.modelVersion = modelVersion;
        this.apiKeys = apiKeys;
    }

    /** Every problem found; empty when the manifests agree with the code. */
    static List<String> problems(Manifests manifests, String modelVersion, Set<String> apiKeys) {
        ManifestChecks checks = new ManifestChecks(manifests, modelVersion, apiKeys);
        checks.topics();
        checks.users();
        ServiceContract.all().forEach(checks::service);
        checks.scaling();
        checks.modelStore();
        return List.copyOf(checks.problems);
    }

    // --- topics ---------------------------------------------------------------------------------------------------

    private void topics() {
        Map<String, Topic<?, ?>> contracts = new HashMap<>();
        Topics.core().forEach(topic -> contracts.put(topic.name(), topic));
        Topic<?, ?> embeddings = Topics.embeddings(modelVersion);
        contracts.put(embeddings.name(), embeddings);
        int brokers = brokers();
        Set<String> declared = new TreeSet<>();
        for (GenericKubernetesResource resource : manifests.custom("KafkaTopic")) {
            String name = Objects.requireNonNullElse(resource.get("spec", "topicName"), resource.getMetadata().getName());
            declared.add(name);
            Topic<?, ?> contract = contracts.get(name);
            if (contract == null && name.startsWith(Topics.EMBEDDINGS_PREFIX)) {
                contract = Topics.embeddings(name.substring(Topics.EMBEDDINGS_PREFIX.length()));
            }
            if (contract == null) {
                problems.add("KafkaTopic " + name + " is no topic of schemas' Topics");
                continue;
            }
            if (name.startsWith(Topics.EMBEDDINGS_PREFIX)) {
                embeddingVersions.add(name.substring(Topics.EMBEDDINGS_PREFIX.length()));
            }
            topic(name, resource, contract, brokers);
        }
        contracts.keySet().stream().filter(name -> !declared.contains(name)).sorted()
                .forEach(name -> problems.add("no KafkaTopic for " + name));
    }

    private void topic(String name, GenericKubernetesResource resource, Topic<?, ?> contract, int brokers) {
        Number partitions = resource.get("spec", "partitions");
        if (partitions == null || partitions.intValue() != contract.partitions()) {
            problems.add("KafkaTopic " + name + ": partitions " + partitions + ", Topics says " + contract.partitions());
        }
        Number replicas = resource.get("spec", "replicas");
        if (replicas == null || replicas.intValue() < 1 || replicas.intValue() > brokers) {
            problems.add("KafkaTopic " + name + ": replicas " + replicas + " with " + brokers + " broker(s)");
        }
        Map<String, Object> config = Objects.requireNonNullElse(resource.get("spec", "config"), Map.of());
        contract.configs().forEach((key, expected) -> {
            Object value = config.get(key);
            if (value == null || !expected.equals(String.valueOf(value))) {
                problems.add("KafkaTopic " + name + ": " + key + "=" + value + ", Topics says " + expected);
            }
        });
        if (replicas != null) {
            // TopicAdmin's policy: one replica may be down without stopping writes
            String minInsync = String.valueOf(Math.max(1, replicas.intValue() - 1));
            if (!minInsync.equals(String.valueOf(config.get("min.insync.replicas")))) {
                problems.add("KafkaTopic " + name + ": min.insync.replicas=" + config.get("min.insync.replicas")
                        + ", the policy with " + replicas + " replicas is " + minInsync);
            }
        }
        config.keySet().stream().filter(key -> !contract.configs().containsKey(key))
                .filter(key -> !key.equals("min.insync.replicas")).sorted()
                .forEach(key -> problems.add("KafkaTopic " + name + ": " + key + " is not in the topic's contract"));
    }

    private int brokers() {
        int brokers = 0;
        for (GenericKubernetesResource pool : manifests.custom("KafkaNodePool")) {
            List<String> roles = Objects.requireNonNullElse(pool.get("spec", "roles"), List.of());
            Number replicas = pool.get("spec", "replicas");
            if (roles.contains("broker") && replicas != null) {
                brokers += replicas.intValue();
            }
        }
        if (brokers == 0) {
            problems.add("no KafkaNodePool with role broker");
        }
        return brokers;
    }

    // --- users and ACLs -------------------------------------------------------------------------------------------

    private void users() {
        for (TopicAccess.Service service : TopicAccess.Service.values()) {
            var user = manifests.findCustom("KafkaUser", service.user());
            if (user.isEmpty()) {
                problems.add("no KafkaUser " + service.user());
                continue;
            }
            if (!"scram-sha-512".equals(user.get().get("spec", "authentication", "type"))) {
                problems.add("KafkaUser " + service.user() + ": authentication is not scram-sha-512");
            }
            Set<String> expected = new TreeSet<>();
            for (TopicAccess.Grant grant : TopicAccess.grants(service)) {
                for (AclOperation operation : grant.operations()) {
                    expected.add(acl(grant.resource().resourceType(), grant.resource().name(),
                            grant.resource().patternType(), operation));
                }
            }
            Set<String> declared = new TreeSet<>();
            List<Map<String, Object>> acls = Objects.requireNonNullElse(
                    user.get().get("spec", "authorization", "acls"), List.of());
            for (Map<String, Object> entry : acls) {
                @SuppressWarnings("unchecked")
                Map<String, Object> resource = (Map<String, Object>) entry.get("resource");
                List<String> operations = new ArrayList<>(Objects.requireNonNullElse(
                        castList(entry.get("operations")), List.of()));
                if (entry.get("operation") != null) {
                    operations.add(String.valueOf(entry.get("operation")));
                }
                for (String operation : operations) {
                    declared.add(resource.get("type") + " " + resource.get("name") + " ("
                            + resource.getOrDefault("patternType", "literal") + "): " + operation);
                }
            }
            Set<String> missing = new TreeSet<>(expected);
            missing.removeAll(declared);
            Set<String> extra = new TreeSet<>(declared);
            extra.removeAll(expected);
            missing.forEach(acl -> problems.add("KafkaUser " + service.user() + " lacks " + acl
                    + " (TopicAccess grants it)"));
            extra.forEach(acl -> problems.add("KafkaUser " + service.user() + " allows " + acl
                    + ", which TopicAccess does not grant"));
        }
    }

    /** An ACL as Strimzi writes it: {@code topic pir.chips (literal): Write}. */
    private static String acl(ResourceType type, String name, PatternType pattern, AclOperation operation) {
        String strimziType = switch (type) {
            case TOPIC -> "topic";
            case GROUP -> "group";
            case TRANSACTIONAL_ID -> "transactionalId";
            case CLUSTER -> "cluster";
            default -> throw new IllegalArgumentException("no Strimzi resource type for " + type);
        };
        String strimziPattern = pattern == PatternType.PREFIXED ? "prefix" : "literal";
        String strimziOperation = switch (operation) {
            case DESCRIBE_CONFIGS -> "DescribeConfigs";
            case ALTER_CONFIGS -> "AlterConfigs";
            case IDEMPOTENT_WRITE -> "IdempotentWrite";
            case CLUSTER_ACTION -> "ClusterAction";
            default -> operation.name().charAt(0) + operation.name().substring(1).toLowerCase(Locale.ROOT);
        };
        return strimziType + " " + name + " (" + strimziPattern + "): " + strimziOperation;
    }

    // --- services -------------------------------------------------------------------------------------------------

    private void service(ServiceContract contract) {
        boolean job = contract.kind() == ServiceContract.Kind.CRON_JOB;
        String where = (job ? "CronJob " : "Deployment ") + contract.workload();
        PodSpec pod = podSpec(contract).orElse(null);
        if (pod == null) {
            problems.add("no " + where);
            return;
        }
        Container container = pod.getContainers().stream()
                .filter(c -> c.getImage() != null && imageName(c.getImage()).equals(contract.image()))
                .findFirst().orElse(null);
        if (container == null) {
            problems.add(where + " has no container of image " + contract.image());
            return;
        }
        where += ", container " + container.getName();
        Map<String, EnvVar> env = new HashMap<>();
        for (EnvVar variable : container.getEnv()) {
            env.put(variable.getName(), variable);
            if (!contract.reads(variable.getName()) && !isKafkaSecurityVariable(variable.getName())) {
                problems.add(where + ": " + variable.getName() + " is read by no code of " + contract.workload());
            }
            if (variable.getValueFrom() != null && variable.getValueFrom().getSecretKeyRef() != null) {
                secretKey(where + ", " + variable.getName(), variable.getValueFrom().getSecretKeyRef());
                apiKeyRole(where, variable);
            }
        }
        if (job) {
            job(where, contract, container);
        } else {
            ports(where, contract, container, env);
        }
        kafka(where, contract, pod, container, env);
        gpu(where, pod, container);
        if (!Boolean.TRUE.equals(pod.getSecurityContext() == null ? null : pod.getSecurityContext().getRunAsNonRoot())) {
            problems.add(where + ": runAsNonRoot is not set");
        }
    }

    /**
     * A container given a GPU runs the CUDA build of its image (profile gpu tags it {@code -cu<version>}; the CPU
     * build would leave the GPU idle) and has room in {@code /tmp}, where DJL extracts PyTorch's library at start.
     */
    private void gpu(String where, PodSpec pod, Container container) {
        Map<String, Quantity> limits = container.getResources() == null ? null : container.getResources().getLimits();
        if (limits == null || !limits.containsKey("nvidia.com/gpu")) {
            return;
        }
        if (!CUDA_BUILD_TAG.matcher(container.getImage()).find()) {
            problems.add(where + " is given nvidia.com/gpu but runs " + container.getImage() + ", not a CUDA build"
                    + " (a tag ending in -cu<version>: ./mvnw -Pimages,gpu package)");
        }
        Optional<Volume> tmp = container.getVolumeMounts().stream().filter(m -> "/tmp".equals(m.getMountPath()))
                .findFirst().flatMap(m -> pod.getVolumes().stream().filter(v -> v.getName().equals(m.getName()))
                        .findFirst());
        if (tmp.isEmpty() || tmp.get().getEmptyDir() == null) {
            problems.add(where + ": no emptyDir at /tmp, where PyTorch's CUDA library is extracted at start");
        } else {
            Quantity size = tmp.get().getEmptyDir().getSizeLimit();
            if (size != null && Quantity.getAmountInBytes(size).compareTo(BigDecimal.valueOf(CUDA_LIBRARY_GIB << 30)) < 0) {
                problems.add(where + ": /tmp holds " + size + ", PyTorch's CUDA library needs "
                        + CUDA_LIBRARY_GIB + "Gi when extracted");
            }
        }
    }

    /** The pod spec of a service's Deployment or a job's CronJob. */
    private Optional<PodSpec> podSpec(ServiceContract contract) {
        return switch (contract.kind()) {
            case DEPLOYMENT -> manifests.find(Deployment.class, contract.workload())
                    .map(d -> d.getSpec().getTemplate().getSpec());
            case CRON_JOB -> manifests.find(CronJob.class, contract.workload())
                    .map(j -> j.getSpec().getJobTemplate().getSpec().getTemplate().getSpec());
        };
    }

    /** A job runs when scheduled and exits: not suspended, no port, no probe (it serves nothing). */
    private void job(String where, ServiceContract contract, Container container) {
        CronJob cronJob = manifests.find(CronJob.class, contract.workload()).orElseThrow();
        if (Boolean.TRUE.equals(cronJob.getSpec().getSuspend())) {
            problems.add("CronJob " + contract.workload() + " is suspended: it never runs");
        }
        if (container.getCommand() != null && !container.getCommand().isEmpty()) {
            problems.add(where + ": command " + container.getCommand() + " replaces the image's entrypoint (the job's"
                    + " main class); give its options as args");
        }
        if (!container.getPorts().isEmpty()) {
            problems.add(where + ": containerPort " + container.getPorts().get(0).getContainerPort()
                    + ", the job serves no port");
        }
        if (container.getReadinessProbe() != null || container.getLivenessProbe() != null
                || container.getStartupProbe() != null) {
            problems.add(where + ": a probe, the job serves no health endpoint");
        }
    }

    private void ports(String where, ServiceContract contract, Container container, Map<String, EnvVar> env) {
        int port = env.containsKey(contract.portVariable())
                ? Integer.parseInt(env.get(contract.portVariable()).getValue()) : contract.httpPort();
        Map<String, Integer> named = new HashMap<>();
        for (ContainerPort declared : container.getPorts()) {
            if (declared.getName() != null) {
                named.put(declared.getName(), declared.getContainerPort());
            }
            if (declared.getContainerPort() != port) {
                problems.add(where + ": containerPort " + declared.getContainerPort() + ", the service listens on "
                        + port);
            }
        }
        probe(where + ", readiness probe", container.getReadinessProbe(), contract, named, port, true);
        probe(where + ", liveness probe", container.getLivenessProbe(), contract, named, port, true);
        probe(where + ", startup probe", container.getStartupProbe(), contract, named, port, false);
    }

    private void probe(String where, Probe probe, ServiceContract contract, Map<String, Integer> named, int port,
                       boolean required) {
        if (probe == null) {
            if (required) {
                problems.add(where + " is missing");
            }
            return;
        }
        if (probe.getHttpGet() == null) {
            problems.add(where + " is not an HTTP probe of the service's health endpoint");
            return;
        }
        if (!contract.healthPaths().contains(probe.getHttpGet().getPath())) {
            problems.add(where + ": path " + probe.getHttpGet().getPath() + " is none of " + contract.healthPaths());
        }
        IntOrString target = probe.getHttpGet().getPort();
        Integer resolved = target.getIntVal() != null ? target.getIntVal() : named.get(target.getStrVal());
        if (resolved == null || resolved != port) {
            problems.add(where + ": port " + (target.getIntVal() != null ? target.getIntVal() : target.getStrVal())
                    + " is not the service's port " + port);
        }
    }

    /** Bootstrap address, listener security, the service's own credentials, the trust store's file. */
    private void kafka(String where, ServiceContract contract, PodSpec pod, Container container,
                       Map<String, EnvVar> env) {
        var kafka = manifests.findCustom("Kafka", KAFKA_CLUSTER);
        if (kafka.isEmpty()) {
            problems.add("no Kafka " + KAFKA_CLUSTER);
            return;
        }
        String bootstrap = env.containsKey("KAFKA_BOOTSTRAP_SERVERS") ? env.get("KAFKA_BOOTSTRAP_SERVERS").getValue() : null;
        List<Map<String, Object>> listeners = Objects.requireNonNullElse(kafka.get().get("spec", "kafka", "listeners"),
                List.of());
        Map<String, Object> listener = listeners.stream()
                .filter(l -> (KAFKA_CLUSTER + "-kafka-bootstrap:" + l.get("port")).equals(bootstrap))
                .findFirst().orElse(null);
        if (listener == null) {
            problems.add(where + ": KAFKA_BOOTSTRAP_SERVERS=" + bootstrap + " is no listener of Kafka " + KAFKA_CLUSTER);
            return;
        }
        // the client settings as the service reads them; the JAAS text stands for the one in the user's secret
        Map<String, String> settings = new HashMap<>();
        env.values().stream().filter(v -> isKafkaSecurityVariable(v.getName())).forEach(v -> {
            SecretKeySelector secret = v.getValueFrom() == null ? null : v.getValueFrom().getSecretKeyRef();
            settings.put(v.getName(), secret == null ? v.getValue()
                    : "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + secret.getName()
                    + "\" password=\"from-the-secret\";");
            if (secret != null && v.getName().equals("PIRSTREAM_KAFKA_SASL_JAAS_CONFIG")
                    && !secret.getName().equals(contract.service().user())) {
                problems.add(where + ": connects as " + secret.getName() + ", not as its own principal "
                        + contract.service().user());
            }
        });
        KafkaClientSecurity security;
        try {
            security = KafkaClientSecurity.load(null, Map.of(), settings);
        } catch (IllegalArgumentException e) {
            problems.add(where + ": the service would refuse its Kafka settings: " + e.getMessage());
            return;
        }
        boolean tls = Boolean.TRUE.equals(listener.get("tls"));
        @SuppressWarnings("unchecked")
        Map<String, Object> authentication = (Map<String, Object>) listener.get("authentication");
        String expected = (authentication != null ? "SASL_" : "") + (tls ? "SSL" : "PLAINTEXT");
        if (expected.equals("SASL_PLAINTEXT") || expected.equals("SASL_SSL")) {
            String mechanism = security.settings().get("sasl.mechanism");
            if (!String.valueOf(authentication.get("type")).equalsIgnoreCase(String.valueOf(mechanism))) {
                problems.add(where + ": sasl.mechanism " + mechanism + ", the listener wants " + authentication.get("type"));
            }
        }
        if (!security.protocol().name.equals(expected)) {
            problems.add(where + ": security.protocol " + security.protocol().name + ", listener " + listener.get("name")
                    + " wants " + expected);
        }
        String truststore = security.settings().get("ssl.truststore.location");
        if (truststore != null && !mountedSecretFile(pod, container, truststore)) {
            problems.add(where + ": ssl.truststore.location " + truststore + " is no file of a mounted secret");
        }
    }

    private boolean mountedSecretFile(PodSpec pod, Container container, String path) {
        for (VolumeMount mount : container.getVolumeMounts()) {
            if (!path.startsWith(mount.getMountPath() + "/")) {
                continue;
            }
            String file = path.substring(mount.getMountPath().length() + 1);
            Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst()
                    .orElse(null);
            if (volume == null || volume.getSecret() == null) {
                return false;
            }
            String secret = volume.getSecret().getSecretName();
            if (volume.getSecret().getItems() == null || volume.getSecret().getItems().isEmpty()) {
                secretKey("volume " + volume.getName(), new SecretKeySelector(file, secret, false));
                return true;
            }
            var item = volume.getSecret().getItems().stream().filter(i -> i.getPath().equals(file)).findFirst();
            item.ifPresent(i -> secretKey("volume " + volume.getName(), new SecretKeySelector(i.getKey(), secret, false)));
            return item.isPresent();
        }
        return false;
    }

    /** A secret key that exists: a KafkaUser's, the cluster CA's, the API keys', or one of a Secret here. */
    private void secretKey(String where, SecretKeySelector selector) {
        String name = selector.getName();
        String key = selector.getKey();
        Set<String> keys;
        if (manifests.findCustom("KafkaUser", name).isPresent()) {
            keys = USER_SECRET_KEYS;
        } else if (name.equals(KAFKA_CLUSTER + "-cluster-ca-cert")) {
            keys = CLUSTER_CA_KEYS;
        } else if (name.equals(API_KEYS_SECRET)) {
            keys = apiKeys;
        } else {
            keys = manifests.find(Secret.class, name).map(ManifestChecks::keys).orElse(null);
        }
        if (keys == null) {
            problems.add(where + ": secret " + name + " is made by nothing here (no Secret, KafkaUser or Kafka)");
        } else if (!keys.contains(key)) {
            problems.add(where + ": secret " + name + " has no key " + key + " (it has " + new TreeSet<>(keys) + ")");
        }
    }

    /** {@code PIRSTREAM_<ROLE>_KEY} must come from the role's key. */
    private void apiKeyRole(String where, EnvVar variable) {
        SecretKeySelector secret = variable.getValueFrom().getSecretKeyRef();
        if (!secret.getName().equals(API_KEYS_SECRET)) {
            return;
        }
        String expected = variable.getName().equals("PIRSTREAM_WEBHOOK_SIGNING_KEY") ? "webhook-signing-key"
                : variable.getName().replaceAll("^PIRSTREAM_(.+)_KEY$", "$1").toLowerCase(Locale.ROOT);
        if (!expected.equals(secret.getKey())) {
            problems.add(where + ": " + variable.getName() + " comes from key " + secret.getKey() + ", not " + expected);
        }
    }

    private static Set<String> keys(Secret secret) {
        Set<String> keys = new TreeSet<>();
        if (secret.getData() != null) {
            keys.addAll(secret.getData().keySet());
        }
        if (secret.getStringData() != null) {
            keys.addAll(secret.getStringData().keySet());
        }
        return keys;
    }

    private static boolean isKafkaSecurityVariable(String name) {
        return name.equals(KafkaClientSecurity.FILE_VARIABLE) || name.startsWith("PIRSTREAM_KAFKA_SECURITY_")
                || name.startsWith("PIRSTREAM_KAFKA_SASL_") || name.startsWith("PIRSTREAM_KAFKA_SSL_");
    }

    // --- scaling --------------------------------------------------------------------------------------------------

    private void scaling() {
        Set<String> byLag = new TreeSet<>();
        for (GenericKubernetesResource scaled : manifests.custom("ScaledObject")) {
            String target = scaled.get("spec", "scaleTargetRef", "name");
            byLag.add(target);
            if (manifests.find(Deployment.class, target).isEmpty()) {
                problems.add("ScaledObject " + scaled.getMetadata().getName() + " scales no Deployment " + target);
            }
            Number max = scaled.get("spec", "maxReplicaCount");
            List<Map<String, Object>> triggers = Objects.requireNonNullElse(scaled.get("spec", "triggers"), List.of());
            for (Map<String, Object> trigger : triggers) {
                @SuppressWarnings("unchecked")
                Map<String, Object> metadata = (Map<String, Object>) trigger.get("metadata");
                if (!"kafka".equals(trigger.get("type"))) {
                    continue;
                }
                if (!isEmbedGroup(String.valueOf(metadata.get("consumerGroup")))
                        || !Topics.CHIPS.name().equals(metadata.get("topic"))) {
                    problems.add("ScaledObject " + scaled.getMetadata().getName() + " follows the lag of "
                            + metadata.get("consumerGroup") + " on " + metadata.get("topic") + ", not an embed-processor"
                            + " group (" + embedGroups() + ") on " + Topics.CHIPS.name());
                }
                if (max == null || max.intValue() > Topics.CHIPS.partitions()) {
                    problems.add("ScaledObject " + scaled.getMetadata().getName() + ": maxReplicaCount " + max
                            + " is more consumers than the " + Topics.CHIPS.partitions() + " partitions of "
                            + Topics.CHIPS.name());
                }
            }
            String auth = scaled.get("spec", "triggers", 0, "authenticationRef", "name");
            var authentication = manifests.findCustom("TriggerAuthentication", auth);
            if (auth != null && authentication.isEmpty()) {
                problems.add("ScaledObject " + scaled.getMetadata().getName() + ": no TriggerAuthentication " + auth);
            }
            authentication.ifPresent(a -> {
                List<Map<String, Object>> refs = Objects.requireNonNullElse(a.get("spec", "secretTargetRef"), List.of());
                refs.forEach(ref -> secretKey("TriggerAuthentication " + auth + ", " + ref.get("parameter"),
                        new SecretKeySelector(String.valueOf(ref.get("key")), String.valueOf(ref.get("name")), false)));
            });
        }
        for (HorizontalPodAutoscaler hpa : manifests.ofType(HorizontalPodAutoscaler.class)) {
            String target = hpa.getSpec().getScaleTargetRef().getName();
            if (manifests.find(Deployment.class, target).isEmpty()) {
                problems.add("HorizontalPodAutoscaler " + hpa.getMetadata().getName() + " scales no Deployment " + target);
            }
            if (byLag.contains(target)) {
                problems.add("HorizontalPodAutoscaler " + hpa.getMetadata().getName() + " and a ScaledObject both scale "
                        + target);
            }
        }
        for (PodDisruptionBudget budget : manifests.ofType(PodDisruptionBudget.class)) {
            Map<String, String> selector = budget.getSpec().getSelector().getMatchLabels();
            boolean matches = manifests.ofType(Deployment.class).stream().anyMatch(d ->
                    d.getSpec().getTemplate().getMetadata().getLabels().entrySet().containsAll(selector.entrySet()));
            if (!matches) {
                problems.add("PodDisruptionBudget " + budget.getMetadata().getName() + " selects no Deployment's pods");
            }
        }
    }

    /**
     * A consumer group of the embed-processor: its Streams application id for a model version whose embeddings topic is
     * declared here, {@code pirstream-embed-<version>} or a replay's {@code pirstream-embed-<version>-r<n>}
     * ({@link ModelReleases#applicationId}). The prefix alone is no group: KEDA would follow a group nobody consumes in.
     */
    private boolean isEmbedGroup(String group) {
        return embeddingVersions.stream().map(v -> ModelReleases.applicationId(TopicAccess.EMBED_APPLICATION_ID, v, 0))
                .anyMatch(id -> group.equals(id) || group.matches(Pattern.quote(id) + "-r[1-9][0-9]*"));
    }

    private String embedGroups() {
        return embeddingVersions.isEmpty() ? "none: no embeddings topic is declared"
                : String.join(", ", embeddingVersions.stream()
                        .map(v -> ModelReleases.applicationId(TopicAccess.EMBED_APPLICATION_ID, v, 0)).toList());
    }

    // --- the checkpoint store -------------------------------------------------------------------------------------

    /**
     * The fine-tune job stores each checkpoint under its {@code --store} and publishes a release naming it by a
     * {@code file:} URI; the services that load a release's checkpoint (embed, query) open that URI. So the store must
     * be a PersistentVolumeClaim the job mounts writable, and each of those services must mount the same claim at the
     * same path: otherwise a promoted release names files no pod has, or that die with the job's pod.
     */
    private void modelStore() {
        ServiceContract finetune = ServiceContract.finetune();
        Container container = podSpec(finetune).flatMap(pod -> pod.getContainers().stream()
                .filter(c -> c.getImage() != null && imageName(c.getImage()).equals(finetune.image())).findFirst())
                .orElse(null);
        if (container == null) {
            return; // reported by service()
        }
        PodSpec pod = podSpec(finetune).orElseThrow();
        String where = "CronJob " + finetune.workload() + ", container " + container.getName();
        ServiceContract.StoreOption option = ServiceContract.finetuneStore();
        String store = option.defaultValue();
        for (EnvVar variable : container.getEnv()) {
            if (variable.getName().equals(option.variable())) {
                store = variable.getValue();
            }
        }
        List<String> args = Objects.requireNonNullElse(container.getArgs(), List.of());
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).startsWith("--store=")) {
                store = args.get(i).substring("--store=".length());
            } else if (args.get(i).equals("--store") && i + 1 < args.size()) {
                store = args.get(i + 1);
            }
        }
        if (store == null || !store.startsWith("/")) {
            problems.add(where + ": checkpoint store " + store + " is no absolute path on a mounted volume");
            return;
        }
        String path = store.replaceAll("/+$", "");
        VolumeMount mount = container.getVolumeMounts().stream()
                .filter(m -> path.equals(m.getMountPath()) || path.startsWith(m.getMountPath().replaceAll("/+$", "") + "/"))
                .max(Comparator.comparingInt(m -> m.getMountPath().length())).orElse(null);
        Volume volume = mount == null ? null : pod.getVolumes().stream()
                .filter(v -> v.getName().equals(mount.getName())).findFirst().orElse(null);
        if (volume == null || volume.getPersistentVolumeClaim() == null) {
            problems.add(where + ": checkpoint store " + path + " is on no PersistentVolumeClaim (releases name their"
                    + " checkpoints by file: URI; the services must read the same files)");
            return;
        }
        if (Boolean.TRUE.equals(mount.getReadOnly()) || Boolean.TRUE.equals(volume.getPersistentVolumeClaim().getReadOnly())) {
            problems.add(where + ": checkpoint store " + path + " is mounted read-only");
        }
        String claim = volume.getPersistentVolumeClaim().getClaimName();
        if (manifests.find(PersistentVolumeClaim.class, claim).isEmpty()) {
            problems.add(where + ": checkpoint store on claim " + claim + ", which no PersistentVolumeClaim here makes");
        }
        for (ServiceContract reader : List.of(ServiceContract.embed(), ServiceContract.query())) {
            PodSpec readerPod = podSpec(reader).orElse(null);
            if (readerPod == null) {
                continue; // reported by service()
            }
            Set<String> claimVolumes = new TreeSet<>();
            readerPod.getVolumes().stream().filter(v -> v.getPersistentVolumeClaim() != null)
                    .filter(v -> claim.equals(v.getPersistentVolumeClaim().getClaimName()))
                    .forEach(v -> claimVolumes.add(v.getName()));
            boolean same = readerPod.getContainers().stream()
                    .filter(c -> c.getImage() != null && imageName(c.getImage()).equals(reader.image()))
                    .flatMap(c -> c.getVolumeMounts().stream())
                    .anyMatch(m -> claimVolumes.contains(m.getName()) && mount.getMountPath().equals(m.getMountPath())
                            && Objects.equals(mount.getSubPath(), m.getSubPath()));
            if (!same) {
                problems.add("Deployment " + reader.workload() + " does not mount claim " + claim + " at "
                        + mount.getMountPath() + ", where the fine-tune job stores the checkpoints releases name");
            }
        }
    }

    /** {@code registry/pirstream/pirstream-query:1.0} -> {@code pirstream-query}. */
    static String imageName(String image) {
        String name = image.substring(image.lastIndexOf('/') + 1);
        int tag = name.indexOf(':');
        int digest = name.indexOf('@');
        int end = digest >= 0 ? digest : tag >= 0 ? tag : name.length();
        return name.substring(0, end);
    }

    @SuppressWarnings("unchecked")
    private static List<String> castList(Object value) {
        return value == null ? null : ((List<Object>) value).stream().map(String::valueOf).toList();
    }
}
