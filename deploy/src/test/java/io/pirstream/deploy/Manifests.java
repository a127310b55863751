package io.pirstream.deploy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A set of Kubernetes manifests as typed objects: built-in kinds as fabric8's model classes (Deployment,
 * HorizontalPodAutoscaler, ...), custom resources (Strimzi, KEDA) as {@link GenericKubernetesResource}.
 */
final class Manifests {

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final Pattern DOCUMENT_SEPARATOR = Pattern.compile("(?m)^---\\s*$");

    private final List<HasMetadata> resources;

    Manifests(List<HasMetadata> resources) {
        this.resources = List.copyOf(resources);
    }

    /** Every resource of a multi-document YAML text (empty documents skipped). */
    static Manifests parse(String yaml) {
        List<HasMetadata> resources = new ArrayList<>();
        for (String document : DOCUMENT_SEPARATOR.split(yaml)) {
            if (document.lines().allMatch(line -> line.isBlank() || line.strip().startsWith("#"))) {
                continue;
            }
            Object parsed = SERIALIZATION.unmarshal(document);
            if (!(parsed instanceof HasMetadata resource)) {
                throw new IllegalArgumentException("not a Kubernetes resource: " + document);
            }
            resources.add(resource);
        }
        return new Manifests(resources);
    }

    /** Every resource of the YAML files of a folder (not its kustomization.yaml), in file name order. */
    static Manifests readFolder(Path folder) {
        try (Stream<Path> files = Files.list(folder)) {
            List<HasMetadata> resources = new ArrayList<>();
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml"))
                    .filter(f -> !f.getFileName().toString().equals("kustomization.yaml")).sorted().toList()) {
                resources.addAll(parse(Files.readString(file, StandardCharsets.UTF_8)).resources);
            }
            return new Manifests(resources);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the manifests in " + folder, e);
        }
    }

    List<HasMetadata> all() {
        return resources;
    }

    /** Resources of a built-in kind, typed. */
    <T extends HasMetadata> List<T> ofType(Class<T> type) {
        return resources.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** Custom resources of a kind (e.g. {@code KafkaTopic}). */
    List<GenericKubernetesResource> custom(String kind) {
        return resources.stream().filter(GenericKubernetesResource.class::isInstance)
                .map(GenericKubernetesResource.class::cast).filter(r -> kind.equals(r.getKind())).toList();
    }

    <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
        return ofType(type).stream().filter(r -> Objects.equals(name, r.getMetadata().getName())).findFirst();
    }

    Optional<GenericKubernetesResource> findCustom(String kind, String name) {
        return custom(kind).stream().filter(r -> Objects.equals(name, r.getMetadata().getName())).findFirst();
    }

    /** A deep copy, to change in a test without touching this one. */
    Manifests copy() {
        return parse(toYaml());
    }

    /** The YAML of every resource, separated as a multi-document file. */
    String toYaml() {
        StringBuilder yaml = new StringBuilder();
        for (HasMetadata resource : resources) {
            yaml.append(SERIALIZATION.asYaml(resource)).append("\n---\n");
        }
        return yaml.toString();
    }
}
