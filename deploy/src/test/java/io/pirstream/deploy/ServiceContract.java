package io.pirstream.deploy;

import io.pirstream.schemas.TopicAccess;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithName;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a service's own code and configuration say about how it is deployed: the environment variables it reads, its
 * HTTP port and health paths, its image and its Kafka principal. Read from the code (configuration mappings,
 * application.properties, the embed-processor's option defaults and HealthServer), never restated here, so that manifests are checked
 * against what the service does today.
 *
 * @param service the service's principal in {@link TopicAccess}
 * @param kind what runs it: a Deployment (a service) or a CronJob (a job that exits)
 * @param workload name of its Deployment or CronJob
 * @param image image name (without registry or tag)
 * @param httpPort port of its HTTP server (APIs, health), when nothing in the environment changes it; 0 for a job
 * @param portVariable environment variable that changes the port; null for a job
 * @param healthPaths paths it answers health probes on; none for a job
 * @param variables environment variables it reads by name
 * @param variablePatterns environment variables it reads by pattern (configuration maps such as
 *     {@code pirstream.auth.clients.<name>.key})
 */
record ServiceContract(TopicAccess.Service service, Kind kind, String workload, String image, int httpPort,
                       String portVariable, Set<String> healthPaths, Set<String> variables, List<Pattern> variablePatterns) {

    /** What runs the code. */
    enum Kind { DEPLOYMENT, CRON_JOB }

    /**
     * The fine-tune job's checkpoint store option: the variable that sets it and its default.
     *
     * @param variable environment variable of {@code --store}
     * @param defaultValue the store when the variable is unset
     */
    record StoreOption(String variable, String defaultValue) {
    }

    /** The repository's root: tests run in the deploy module's folder. */
    static final Path ROOT = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();

    /** Variables the JVM reads in every image. */
    private static final Set<String> JVM_VARIABLES = Set.of("JAVA_TOOL_OPTIONS");
    /** Quarkus's health endpoints (SmallRye Health under the default non-application root {@code /q}). */
    private static final Set<String> QUARKUS_HEALTH = Set.of("/q/health", "/q/health/live", "/q/health/ready",
            "/q/health/started");
    private static final Pattern VARIABLE_REFERENCE = Pattern.compile("\\$\\{(?:env:)?([A-Z][A-Z0-9_]*)");
    private static final Pattern HTTP_PORT_OPTION = Pattern.compile(
            "names = \"--http-port\", defaultValue = \"\\$\\{env:([A-Z0-9_]+):-(\\d+)}");
    private static final Pattern HEALTH_CONTEXT = Pattern.compile("createContext\\(\"(/q/health[^\"]*)\"");
    private static final Pattern STORE_OPTION = Pattern.compile(
            "names = \"--store\", defaultValue = \"\\$\\{env:([A-Z0-9_]+):-([^}]*)}");
    private static final Path FINETUNE_JOB = Path.of("finetune/src/main/java/io/pirstream/finetune/FineTuneJob.java");

    static List<ServiceContract> all() {
        return List.of(ingest(), embed(), query(), finetune());
    }

    static ServiceContract ingest() {
        return quarkus(TopicAccess.Service.INGEST, "ingest", "pirstream-ingest", "ingest-service",
                List.of("io.pirstream.ingest.IngestConfig", "io.pirstream.ingest.kafka.KafkaConfig",
                        "io.pirstream.service.security.AuthConfig"));
    }

    static ServiceContract query() {
        return quarkus(TopicAccess.Service.QUERY, "query", "pirstream-query", "query-service",
                List.of("io.pirstream.query.QueryConfig", "io.pirstream.query.alerts.AlertsConfig",
                        "io.pirstream.service.security.AuthConfig"));
    }

    /** The embed-processor: a picocli command whose options default to environment variables ({@code ${env:NAME}}). */
    static ServiceContract embed() {
        String main = read(ROOT.resolve("embed-processor/src/main/java/io/pirstream/embed/EmbedProcessor.java"));
        Set<String> variables = new TreeSet<>(JVM_VARIABLES);
        variables.addAll(references(main));
        Matcher port = HTTP_PORT_OPTION.matcher(main);
        if (!port.find()) {
            throw new IllegalStateException("EmbedProcessor has no --http-port option with a default: update ServiceContract");
        }
        String healthServer = read(ROOT.resolve("embed-processor/src/main/java/io/pirstream/embed/HealthServer.java"));
        Set<String> health = new TreeSet<>();
        Matcher contexts = HEALTH_CONTEXT.matcher(healthServer);
        while (contexts.find()) {
            health.add(contexts.group(1));
        }
        return new ServiceContract(TopicAccess.Service.EMBED, Kind.DEPLOYMENT, "embed", "pirstream-embed",
                Integer.parseInt(port.group(2)), port.group(1), health, variables, List.of());
    }

    /**
     * The fine-tune job (CronJob finetune): a picocli command like the embed-processor, no HTTP server, one round then
     * exit.
     */
    static ServiceContract finetune() {
        Set<String> variables = new TreeSet<>(JVM_VARIABLES);
        variables.addAll(references(read(ROOT.resolve(FINETUNE_JOB))));
        return new ServiceContract(TopicAccess.Service.FINETUNE, Kind.CRON_JOB, "finetune", "pirstream-finetune", 0,
                null, Set.of(), variables, List.of());
    }

    /** Where the fine-tune job stores checkpoints (FineTuneJob's {@code --store}), read from its code. */
    static StoreOption finetuneStore() {
        Matcher option = STORE_OPTION.matcher(read(ROOT.resolve(FINETUNE_JOB)));
        if (!option.find()) {
            throw new IllegalStateException("FineTuneJob has no --store option defaulting to a variable: update ServiceContract");
        }
        return new StoreOption(option.group(1), option.group(2));
    }

    /** Whether the service reads this environment variable. */
    boolean reads(String variable) {
        return variables.contains(variable) || variablePatterns.stream().anyMatch(p -> p.matcher(variable).matches());
    }

    /**
     * A Quarkus service: every property of its configuration mappings and application.properties can be set by its
     * environment variable (upper case, {@code _} for every other character), and application.properties names more.
     */
    private static ServiceContract quarkus(TopicAccess.Service service, String deployment, String image, String module,
                                           List<String> mappings) {
        Path file = ROOT.resolve(module).resolve("src/main/resources/application.properties");
        String text = read(file);
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Set<String> names = new TreeSet<>();
        properties.stringPropertyNames().stream().filter(name -> !name.startsWith("%")).forEach(names::add);
        for (String mapping : mappings) {
            Class<?> type = load(mapping);
            ConfigMapping annotation = type.getAnnotation(ConfigMapping.class);
            if (annotation == null) {
                throw new IllegalStateException(mapping + " is no longer a @ConfigMapping");
            }
            propertyNames(annotation.prefix(), type, names);
        }
        Set<String> variables = new TreeSet<>(JVM_VARIABLES);
        variables.addAll(references(text));
        List<Pattern> patterns = new ArrayList<>();
        for (String name : names) {
            if (name.contains("*")) {
                patterns.add(Pattern.compile(Pattern.quote(variable(name.substring(0, name.indexOf('*'))))
                        + "[A-Z0-9_]+" + Pattern.quote(variable(name.substring(name.indexOf('*') + 1)))));
            } else {
                variables.add(variable(name));
            }
        }
        if (properties.containsKey("quarkus.smallrye-health.root-path")
                || properties.containsKey("quarkus.http.non-application-root-path")) {
            throw new IllegalStateException(module + " moved its health endpoints: update ServiceContract");
        }
        int port = Integer.parseInt(properties.getProperty("quarkus.http.port", "8080"));
        return new ServiceContract(service, Kind.DEPLOYMENT, deployment, image, port, "QUARKUS_HTTP_PORT", QUARKUS_HEALTH, variables,
                patterns);
    }

    /** The property names of a configuration mapping; map keys become {@code *}. */
    private static void propertyNames(String prefix, Class<?> type, Set<String> names) {
        for (Method method : type.getMethods()) {
            if (method.getParameterCount() != 0 || Modifier.isStatic(method.getModifiers()) || method.isDefault()) {
                continue;
            }
            WithName rename = method.getAnnotation(WithName.class);
            String name = prefix + "." + (rename != null ? rename.value() : kebab(method.getName()));
            Class<?> returned = method.getReturnType();
            if (returned == Map.class) {
                var valueType = ((ParameterizedType) method.getGenericReturnType()).getActualTypeArguments()[1];
                if (valueType instanceof Class<?> group && isGroup(group)) {
                    propertyNames(name + ".*", group, names);
                } else {
                    names.add(name + ".*");
                }
            } else if (isGroup(returned)) {
                propertyNames(name, returned, names);
            } else {
                names.add(name);
            }
        }
    }

    private static boolean isGroup(Class<?> type) {
        return type.isInterface() && !type.getName().startsWith("java.");
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    /** The environment variable of a property, as SmallRye Config maps it. */
    static String variable(String property) {
        return property.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    private static Set<String> references(String text) {
        Set<String> found = new TreeSet<>();
        Matcher matcher = VARIABLE_REFERENCE.matcher(text);
        while (matcher.find()) {
            found.add(matcher.group(1));
        }
        return found;
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name, false, ServiceContract.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(name + " is gone: update ServiceContract to what the service reads now", e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
