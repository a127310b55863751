package io.pirstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Kubernetes manifests under deploy/k8s, parsed into typed objects and held to the code by {@link ManifestChecks}:
 * the base as written, and the base and each overlay as Kustomize renders them.
 */
class KubernetesManifestsTest {

    private static final Path K8S = ServiceContract.ROOT.resolve("deploy/k8s");

    @Test
    void everyManifestFileParsesIntoTypedObjects() throws IOException {
        List<Path> files;
        try (var walk = Files.walk(K8S)) {
            files = walk.filter(f -> f.toString().endsWith(".yaml"))
                    .filter(f -> !f.getFileName().toString().equals("kustomization.yaml")).sorted().toList();
        }
        assertThat(files).as("manifest files under " + K8S).hasSizeGreaterThan(5);
        for (Path file : files) {
            Manifests manifests = Manifests.parse(Files.readString(file, StandardCharsets.UTF_8));
            assertThat(manifests.all()).as("resources in " + file).isNotEmpty()
                    .allSatisfy(r -> assertThat(r.getKind()).as("kind in " + file).isNotBlank());
        }
        Manifests base = Manifests.readFolder(K8S.resolve("base"));
        assertThat(base.ofType(Deployment.class)).as("Deployments are typed, not generic").hasSize(3);
        assertThat(base.custom("KafkaTopic")).as("Strimzi topics").isNotEmpty();
    }

    @Test
    void baseAgreesWithTheCode() {
        assertThat(ManifestChecks.problems(Manifests.readFolder(K8S.resolve("base")), shippedModelVersion(), apiKeys()))
                .as("differences between deploy/k8s/base and the code").isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/dev", "overlays/prod"})
    void renderedKustomizationAgreesWithTheCode(String kustomization) throws Exception {
        Optional<String> rendered = kustomize(K8S.resolve(kustomization));
        assumeTrue(rendered.isPresent(), "neither kubectl nor kustomize is on the PATH: " + kustomization
                + " not rendered (its files are parsed by everyManifestFileParsesIntoTypedObjects)");
        Manifests manifests = Manifests.parse(rendered.get());
        assertThat(ManifestChecks.problems(manifests, shippedModelVersion(), apiKeys()))
                .as("differences between " + kustomization + " as rendered and the code").isEmpty();
    }

    /** The checks catch drift: each change below, made to a copy of the base, must be reported. */
    @Test
    @SuppressWarnings("unchecked")
    void driftFromTheCodeIsReported() {
        Manifests base = Manifests.readFolder(K8S.resolve("base"));
        assertThat(ManifestChecks.problems(base, shippedModelVersion(), apiKeys())).as("the base as it is").isEmpty();

        Manifests partitions = base.copy();
        spec(partitions.findCustom("KafkaTopic", "pir.chips").orElseThrow()).put("partitions", 3);
        assertThat(problems(partitions)).as("pir.chips with 3 partitions")
                .anyMatch(p -> p.contains("pir.chips") && p.contains("partitions 3"));

        Manifests retention = base.copy();
        config(retention.findCustom("KafkaTopic", "pir.alerts").orElseThrow()).put("retention.ms", 86400000);
        assertThat(problems(retention)).as("pir.alerts kept one day")
                .anyMatch(p -> p.contains("pir.alerts") && p.contains("retention.ms=86400000"));

        Manifests tombstones = base.copy();
        config(tombstones.findCustom("KafkaTopic", "pir.chips").orElseThrow()).remove("delete.retention.ms");
        assertThat(problems(tombstones)).as("pir.chips with the broker's default tombstone retention")
                .anyMatch(p -> p.contains("pir.chips") && p.contains("delete.retention.ms=null"));

        Manifests literalGroup = base.copy();
        acls(literalGroup, "pirstream-embed").stream().map(entry -> (Map<String, Object>) entry.get("resource"))
                .filter(resource -> "group".equals(resource.get("type"))).forEach(r -> r.put("patternType", "literal"));
        assertThat(problems(literalGroup)).as("the embed-processor's group granted by literal name, not by prefix")
                .anyMatch(p -> p.contains("KafkaUser pirstream-embed lacks group pirstream-embed (prefix): Read"))
                .anyMatch(p -> p.contains("KafkaUser pirstream-embed allows group pirstream-embed (literal): Read"));

        Manifests admin = base.copy();
        acls(admin, "pirstream-admin").add(Map.of("resource", Map.of("type", "topic", "name", "pir.chips",
                "patternType", "literal"), "operations", List.of("Write")));
        assertThat(problems(admin)).as("the admin CLI allowed to write chips")
                .anyMatch(p -> p.contains("KafkaUser pirstream-admin allows topic pir.chips (literal): Write"));

        Manifests acl = base.copy();
        List<?> acls = (List<?>) ((Map<?, ?>) spec(acl.findCustom("KafkaUser", "pirstream-query").orElseThrow())
                .get("authorization")).get("acls");
        acls.remove(acls.size() - 1);
        assertThat(problems(acl)).as("an ACL less for the query service")
                .anyMatch(p -> p.contains("KafkaUser pirstream-query lacks topic pir.dlq (literal): Write"));

        Manifests variable = base.copy();
        container(variable, "ingest").getEnv().stream().filter(v -> v.getName().equals("PIRSTREAM_INGEST_KEY"))
                .forEach(v -> v.setName("PIRSTREAM_INGEST_API_KEY"));
        assertThat(problems(variable)).as("an environment variable the ingest service does not read")
                .anyMatch(p -> p.contains("PIRSTREAM_INGEST_API_KEY is read by no code of ingest"));

        Manifests probe = base.copy();
        container(probe, "query").getReadinessProbe().getHttpGet().setPath("/health");
        assertThat(problems(probe)).as("a probe path the query service does not serve")
                .anyMatch(p -> p.contains("readiness probe: path /health"));

        Manifests port = base.copy();
        container(port, "embed").getEnv().stream().filter(v -> v.getName().equals("PIRSTREAM_EMBED_HTTP_PORT"))
                .forEach(v -> v.setValue("9000"));
        assertThat(problems(port)).as("embed-processor told to listen elsewhere than its containerPort")
                .anyMatch(p -> p.contains("containerPort 8082, the service listens on 9000"));

        Manifests principal = base.copy();
        container(principal, "ingest").getEnv().stream()
                .filter(v -> v.getName().equals("PIRSTREAM_KAFKA_SASL_JAAS_CONFIG"))
                .forEach(v -> v.getValueFrom().getSecretKeyRef().setName("pirstream-query"));
        assertThat(problems(principal)).as("ingest with the query service's credentials")
                .anyMatch(p -> p.contains("connects as pirstream-query"));

        Manifests group = base.copy();
        ((Map<String, Object>) ((List<Map<String, Object>>) spec(group.findCustom("ScaledObject", "embed").orElseThrow())
                .get("triggers")).get(0).get("metadata")).put("consumerGroup", "pirstream-embed");
        assertThat(problems(group)).as("KEDA following the bare prefix, a group nobody consumes in")
                .anyMatch(p -> p.contains("follows the lag of pirstream-embed on pir.chips"));

        Manifests suspended = base.copy();
        suspended.find(CronJob.class, "finetune").orElseThrow().getSpec().setSuspend(true);
        assertThat(problems(suspended)).as("the fine-tune job suspended")
                .anyMatch(p -> p.contains("CronJob finetune is suspended"));

        Manifests finetunePrincipal = base.copy();
        jobContainer(finetunePrincipal, "finetune").getEnv().stream()
                .filter(v -> v.getName().equals("PIRSTREAM_KAFKA_SASL_JAAS_CONFIG"))
                .forEach(v -> v.getValueFrom().getSecretKeyRef().setName("pirstream-admin"));
        assertThat(problems(finetunePrincipal)).as("the fine-tune job with the admin CLI's credentials")
                .anyMatch(p -> p.contains("CronJob finetune") && p.contains("connects as pirstream-admin"));

        Manifests finetuneVariable = base.copy();
        jobContainer(finetuneVariable, "finetune").getEnv().stream()
                .filter(v -> v.getName().equals("PIRSTREAM_MODEL_STORE")).forEach(v -> v.setName("PIRSTREAM_STORE"));
        assertThat(problems(finetuneVariable)).as("a variable the fine-tune job does not read")
                .anyMatch(p -> p.contains("PIRSTREAM_STORE is read by no code of finetune"));

        Manifests ephemeralStore = base.copy();
        jobContainer(ephemeralStore, "finetune").getEnv().stream()
                .filter(v -> v.getName().equals("PIRSTREAM_MODEL_STORE")).forEach(v -> v.setValue("/tmp/models"));
        assertThat(problems(ephemeralStore)).as("checkpoints stored in the job pod's emptyDir")
                .anyMatch(p -> p.contains("checkpoint store /tmp/models is on no PersistentVolumeClaim"));

        Manifests elsewhere = base.copy();
        container(elsewhere, "query").getVolumeMounts().stream().filter(m -> m.getName().equals("models"))
                .forEach(m -> m.setMountPath("/checkpoints"));
        assertThat(problems(elsewhere)).as("the query service mounting the checkpoints at another path")
                .anyMatch(p -> p.contains("Deployment query does not mount claim pirstream-models at /models"));

        Manifests cpuBuild = base.copy();
        container(cpuBuild, "embed").setImage("pirstream-embed:0.1.0");
        assertThat(problems(cpuBuild)).as("a GPU given to the CPU build of the embed image")
                .anyMatch(p -> p.contains("is given nvidia.com/gpu but runs pirstream-embed:0.1.0, not a CUDA build"));

        Manifests smallTmp = base.copy();
        smallTmp.find(Deployment.class, "embed").orElseThrow().getSpec().getTemplate().getSpec().getVolumes().stream()
                .filter(v -> v.getName().equals("tmp"))
                .forEach(v -> v.getEmptyDir().setSizeLimit(new Quantity("2Gi")));
        assertThat(problems(smallTmp)).as("no room to extract PyTorch's CUDA library")
                .anyMatch(p -> p.contains("/tmp holds 2Gi, PyTorch's CUDA library needs 5Gi"));

        Manifests lag = base.copy();
        spec(lag.findCustom("ScaledObject", "embed").orElseThrow()).put("maxReplicaCount", 12);
        assertThat(problems(lag)).as("more embed consumers than partitions")
                .anyMatch(p -> p.contains("maxReplicaCount 12"));
    }

    private static List<String> problems(Manifests manifests) {
        return ManifestChecks.problems(manifests, shippedModelVersion(), apiKeys());
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> acls(Manifests manifests, String user) {
        return (List<Map<String, Object>>) ((Map<String, Object>) spec(manifests.findCustom("KafkaUser", user)
                .orElseThrow()).get("authorization")).get("acls");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> spec(GenericKubernetesResource resource) {
        return (Map<String, Object>) resource.getAdditionalProperties().get("spec");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> config(GenericKubernetesResource topic) {
        return (Map<String, Object>) spec(topic).get("config");
    }

    private static io.fabric8.kubernetes.api.model.Container container(Manifests manifests, String deployment) {
        return manifests.find(Deployment.class, deployment).orElseThrow().getSpec().getTemplate().getSpec()
                .getContainers().get(0);
    }

    private static io.fabric8.kubernetes.api.model.Container jobContainer(Manifests manifests, String cronJob) {
        return manifests.find(CronJob.class, cronJob).orElseThrow().getSpec().getJobTemplate().getSpec().getTemplate()
                .getSpec().getContainers().get(0);
    }

    /** The shipped model's version, which names the embeddings topic the base declares. */
    static String shippedModelVersion() {
        Path checkpoint = ServiceContract.ROOT.resolve("pir-model/src/main/resources/io/pirstream/model/default/checkpoint.json");
        try {
            return new ObjectMapper().readTree(checkpoint.toFile()).get("version").asText();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the shipped model's version from " + checkpoint, e);
        }
    }

    /** The keys of the API keys secret, as the dev overlay generates it (prod creates the same keys out of band). */
    static Set<String> apiKeys() {
        Path env = K8S.resolve("overlays/dev/api-keys.env");
        try {
            Set<String> keys = new TreeSet<>();
            Files.readAllLines(env, StandardCharsets.UTF_8).stream().filter(line -> line.contains("="))
                    .filter(line -> !line.startsWith("#")).forEach(line -> keys.add(line.substring(0, line.indexOf('='))));
            return keys;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + env, e);
        }
    }

    /** The overlay rendered by {@code kubectl kustomize} or {@code kustomize build}; empty when neither exists. */
    private static Optional<String> kustomize(Path overlay) throws IOException, InterruptedException {
        for (List<String> command : List.of(List.of("kubectl", "kustomize", overlay.toString()),
                List.of("kustomize", "build", overlay.toString()))) {
            Process process;
            try {
                process = new ProcessBuilder(new ArrayList<>(command)).redirectError(ProcessBuilder.Redirect.INHERIT)
                        .start();
            } catch (IOException notInstalled) {
                continue;
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(2, TimeUnit.MINUTES)).as(command + " finished").isTrue();
            assertThat(process.exitValue()).as(command + " exit status").isZero();
            return Optional.of(output);
        }
        return Optional.empty();
    }
}
