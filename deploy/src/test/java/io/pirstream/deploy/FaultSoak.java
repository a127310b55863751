package io.pirstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import io.pirstream.model.synth.SyntheticScenes;
import io.pirstream.schemas.AvroSerde;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Alert;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.testcontainers.DockerClientFactory;

/**
 * The whole system as containers (deploy/compose.yaml) under a steady load of uploads, with real faults injected in
 * turn: SIGKILL of each service's process (its restart policy brings it back), a broker restart, and the broker
 * paused for longer than the consumers' session timeout. After each fault the load is held, everything accepted is
 * awaited, and every topic is read with {@code read_committed} to check the promise: every accepted upload has exactly
 * one embedding, is in the index and raised exactly one alert for a subscription that matches everything, nothing was
 * dead-lettered, and fixed searches answer as before the first fault. Recovery is measured from the end of the fault
 * until a frame posted after it is searchable.
 *
 * <p>Run by {@link ComposeStackIT} on its stack: {@code -Dpirstream.soak.runs} rounds (3 in the default build; the
 * profile {@code soak} runs 10: {@code ./mvnw -Pimages,soak -pl deploy verify}). Results go to
 * {@code target/fault-soak.md}, and RELIABILITY.md keeps them.
 */
final class FaultSoak {

    enum Fault {
        KILL_INGEST("SIGKILL ingest"), KILL_EMBED("SIGKILL embed-processor"), KILL_QUERY("SIGKILL query-service"),
        RESTART_BROKER("broker restart"), PAUSE_BROKER("broker paused");

        final String title;

        Fault(String title) {
            this.title = title;
        }
    }

    static final int RUNS = Integer.getInteger("pirstream.soak.runs", 3);
    /** Longer than Kafka's default {@code session.timeout.ms} (45 s), which every consumer here keeps. */
    private static final Duration PAUSE = Duration.ofSeconds(Long.getLong("pirstream.soak.pause-seconds", 50));
    /** Uploads in flight and chips in the embedder when a fault comes (about 7 frames). */
    private static final Duration LOAD_BEFORE_FAULT = Duration.ofSeconds(3);
    /** One frame (one chip) about every this long while the load runs. */
    private static final Duration UPLOAD_INTERVAL = Duration.ofMillis(400);
    private static final Duration SETTLE_TIMEOUT = Duration.ofMinutes(5);
    private static final Pattern SUBSCRIPTION_ID = Pattern.compile("\"id\":\"([^\"]+)\"");
    private static final List<String> FIXED_QUERIES = List.of("a dense forest", "a river through green fields",
            "an industrial area with large buildings", "a parking lot full of cars", "houses in a residential area",
            "green grass land");

    private final ComposeStack stack;
    private final String bootstrap;
    private final Admin admin;
    private final DockerClient docker = DockerClientFactory.instance().client();
    private final Load load;
    private final Map<Fault, Tally> tallies = new EnumMap<>(Fault.class);
    private final List<String> violations = new ArrayList<>();
    private final Set<String> verified = ConcurrentHashMap.newKeySet();
    private String subscription;
    private Map<String, List<String>> baseline;
    private long probeSeed = 900_000;

    FaultSoak(ComposeStack stack, String bootstrap, Admin admin) {
        this.stack = stack;
        this.bootstrap = bootstrap;
        this.admin = admin;
        this.load = new Load(stack);
        for (Fault fault : Fault.values()) {
            tallies.put(fault, new Tally());
        }
    }

    /**
     * Creates the subscription and the fixed set, then injects every fault {@link #RUNS} times under the load,
     * checking after each; writes {@code target/fault-soak.md}. Returns what broke the promise (nothing, when it held).
     */
    List<String> run() throws Exception {
        // a subscription that every chip matches: each accepted chip must raise exactly one alert. The service
        // answers 503 (retry shortly) until its alert matcher has joined its group, as a client would, retry.
        String everyChip = "{\"text\": \"aerial imagery\", \"threshold\": -1}";
        HttpResponse<String> created = stack.postToQuery("/v1/subscriptions", everyChip);
        for (long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
                created.statusCode() == 503 && System.nanoTime() < deadline; ) {
            Thread.sleep(1_000);
            created = stack.postToQuery("/v1/subscriptions", everyChip);
        }
        assertThat(created.statusCode()).as("subscription: " + created.body()).isIn(200, 201);
        Matcher id = SUBSCRIPTION_ID.matcher(created.body());
        assertThat(id.find()).as("subscription id in " + created.body()).isTrue();
        subscription = id.group(1);

        // a fixed set the searches compare on, apart from the load by platform
        for (int i = 0; i < 2 * SyntheticScenes.LABELS.size(); i++) {
            String label = SyntheticScenes.LABELS.get(i % SyntheticScenes.LABELS.size());
            load.uploadUntilAccepted(SyntheticScenes.generate(500_000 + i, 256, label), "soak-fixed");
        }
        assertThat(settle().messages).as("violations before any fault").isEmpty();
        baseline = fixedSearches();

        Thread loader = new Thread(load, "soak-load");
        loader.setDaemon(true);
        loader.start();
        try {
            for (int round = 1; round <= RUNS; round++) {
                for (Fault fault : Fault.values()) {
                    Thread.sleep(LOAD_BEFORE_FAULT.toMillis());
                    Tally tally = tallies.get(fault);
                    Load.Counts before = load.counts();
                    Duration recovery = inject(fault);
                    Findings found = settle();
                    tally.add(recovery, load.counts().minus(before), found);
                    System.err.printf("soak round %d, %s: recovered in %d ms, %s%n", round, fault.title,
                            recovery.toMillis(), found.messages.isEmpty() ? "all checks hold" : found.messages);
                    int r = round;
                    found.messages.forEach(violation -> violations.add("round " + r + ", " + fault.title + ": "
                            + violation));
                }
            }
        } finally {
            load.stop();
            writeReport();
        }
        return List.copyOf(violations);
    }

    /** Causes the fault, waits for its end, then measures until a frame posted after it is searchable. */
    private Duration inject(Fault fault) throws Exception {
        switch (fault) {
            case KILL_INGEST -> stack.killAndAwaitRestart("ingest");
            case KILL_EMBED -> stack.killAndAwaitRestart("embed");
            case KILL_QUERY -> stack.killAndAwaitRestart("query");
            case RESTART_BROKER -> docker.restartContainerCmd(stack.compose().containerId("kafka"))
                    .withTimeout(30).exec();
            case PAUSE_BROKER -> {
                String kafka = stack.compose().containerId("kafka");
                docker.pauseContainerCmd(kafka).exec();
                try {
                    Thread.sleep(PAUSE.toMillis());
                } finally {
                    docker.unpauseContainerCmd(kafka).exec();
                }
            }
        }
        long end = System.nanoTime();
        String probe = load.uploadUntilAccepted(SyntheticScenes.generate(probeSeed++, 256, "forest"),
                "soak-probe");
        if (probe == null || !stack.awaitSearchable(probe, SETTLE_TIMEOUT)) {
            violations.add(fault.title + ": a frame posted after the fault was not searchable within "
                    + SETTLE_TIMEOUT);
        }
        return Duration.ofNanos(System.nanoTime() - end);
    }

    /**
     * Holds the load, waits until everything accepted is indexed and alerted, then checks every topic
     * (read_committed) and the fixed searches.
     */
    private Findings settle() throws Exception {
        Findings found = new Findings();
        load.hold();
        try {
            Set<String> accepted = load.accepted();
            Set<String> unindexed = ConcurrentHashMap.newKeySet();
            accepted.stream().filter(chip -> !verified.contains(chip)).forEach(unindexed::add);
            verified.addAll(unindexed);
            ComposeStack.await(SETTLE_TIMEOUT, () -> {
                unindexed.removeIf(stack::isSearchable);
                return unindexed.isEmpty();
            });
            found.lost(unindexed, "accepted chips not in the index");

            String embeddingsTopic = embeddingsTopic();
            Map<String, Integer> embeddings = new HashMap<>();
            readAll(embeddingsTopic, (key, value) -> {
                if (value != null) {
                    embeddings.merge(key, 1, Integer::sum);
                }
            });
            found.twice(embeddings, "chips with more than one embedding on " + embeddingsTopic);
            found.lost(accepted.stream().filter(chip -> !embeddings.containsKey(chip)).toList(),
                    "accepted chips without an embedding");

            Map<String, Integer> alerts = new HashMap<>();
            ComposeStack.await(SETTLE_TIMEOUT, () -> {
                alerts.clear();
                readAlerts(alerts);
                return alerts.keySet().containsAll(accepted);
            });
            found.lost(accepted.stream().filter(chip -> !alerts.containsKey(chip)).toList(),
                    "accepted chips without an alert");
            found.twice(alerts, "chips alerted more than once");

            AtomicInteger deadLetters = new AtomicInteger();
            readAll(Topics.DLQ.name(), (key, value) -> deadLetters.incrementAndGet());
            if (deadLetters.get() > 0) {
                found.other(deadLetters.get() + " records on " + Topics.DLQ.name());
            }
            load.errors().forEach(found::other);

            if (baseline != null) {
                Map<String, List<String>> now = fixedSearches();
                baseline.forEach((query, ids) -> {
                    if (!ids.equals(now.get(query))) {
                        found.other("search '" + query + "' answered " + now.get(query) + ", before the faults "
                                + ids);
                    }
                });
            }
        } finally {
            load.release();
        }
        return found;
    }

    private Map<String, List<String>> fixedSearches() throws IOException, InterruptedException {
        Map<String, List<String>> results = new LinkedHashMap<>();
        for (String query : FIXED_QUERIES) {
            HttpResponse<String> response = stack.search("{\"text\": \"" + ComposeStack.json(query)
                    + "\", \"k\": 5, \"filters\": {\"platforms\": [\"soak-fixed\"]}}");
            assertThat(response.statusCode()).as("search: " + response.body()).isEqualTo(200);
            results.put(query, ComposeStack.chipIds(response.body()));
        }
        return results;
    }

    private String embeddingsTopic() throws Exception {
        List<String> topics = admin.listTopics().names().get().stream()
                .filter(name -> name.startsWith(Topics.EMBEDDINGS_PREFIX)).sorted().toList();
        assertThat(topics).as("embeddings topics (one model version)").hasSize(1);
        return topics.get(0);
    }

    private void readAlerts(Map<String, Integer> perChip) {
        AvroSerde<Alert> serde = AvroSerde.of(Alert.class);
        readAll(Topics.ALERTS.name(), (key, value) -> {
            Alert alert = serde.deserialize(Topics.ALERTS.name(), value);
            if (alert.getSubscriptionId().equals(subscription)) {
                perChip.merge(alert.getChipId(), 1, Integer::sum);
            }
        });
    }

    /** Every committed record of the topic, from the start to the end it has now (its last stable offsets). */
    private void readAll(String topic, BiConsumer<String, byte[]> each) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 * 1024 * 1024,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to " + end);
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofSeconds(1))) {
                    each.accept(record.key(), record.value());
                }
            }
        }
    }

    private void writeReport() throws IOException {
        StringBuilder report = new StringBuilder();
        report.append("Fault soak, ").append(Instant.now()).append(": ").append(RUNS)
                .append(" runs per fault, one frame every ").append(UPLOAD_INTERVAL.toMillis())
                .append(" ms, broker paused ").append(PAUSE.toSeconds()).append(" s\n\n")
                .append("| fault | runs | uploads accepted | answered 503 | unanswered (retried) | lost "
                        + "(index, embedding, alert) | applied twice (embedding, alert) | other findings | recovery p50 | "
                        + "recovery max |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        tallies.forEach((fault, tally) -> report.append(tally.row(fault)).append('\n'));
        report.append("\nViolations: ").append(violations.isEmpty() ? "none" : String.join("; ", violations))
                .append('\n');
        Files.writeString(Path.of("target", "fault-soak.md"), report.toString(), StandardCharsets.UTF_8);
        System.err.println(report);
    }


    /** What one settle found: chips lost, chips applied twice, and anything else that should not be. */
    private static final class Findings {
        final List<String> messages = new ArrayList<>();
        int lost;
        int twice;
        int other;

        void lost(Collection<String> chips, String what) {
            if (!chips.isEmpty()) {
                lost += chips.size();
                messages.add(chips.size() + " " + what + ": " + sample(chips));
            }
        }

        void twice(Map<String, Integer> perChip, String what) {
            List<String> repeated = perChip.entrySet().stream().filter(e -> e.getValue() > 1)
                    .map(e -> e.getKey() + " x" + e.getValue()).toList();
            if (!repeated.isEmpty()) {
                twice += repeated.size();
                messages.add(repeated.size() + " " + what + ": " + sample(repeated));
            }
        }

        void other(String message) {
            other++;
            messages.add(message);
        }

        private static String sample(Collection<String> items) {
            return items.stream().limit(5).collect(Collectors.joining(", ")) + (items.size() > 5 ? ", ..." : "");
        }
    }

    /** What the soak counted for one kind of fault over its runs. */
    private static final class Tally {
        private final List<Long> recoveries = new ArrayList<>();
        private Load.Counts counts = new Load.Counts(0, 0, 0);
        private int lost;
        private int twice;
        private int other;

        void add(Duration recovery, Load.Counts run, Findings found) {
            recoveries.add(recovery.toMillis());
            counts = counts.plus(run);
            lost += found.lost;
            twice += found.twice;
            other += found.other;
        }

        String row(Fault fault) {
            List<Long> sorted = recoveries.stream().sorted().toList();
            String p50 = sorted.isEmpty() ? "-" : seconds(sorted.get(sorted.size() / 2));
            String max = sorted.isEmpty() ? "-" : seconds(sorted.get(sorted.size() - 1));
            return "| " + fault.title + " | " + recoveries.size() + " | " + counts.accepted() + " | "
                    + counts.refused() + " | " + counts.unanswered() + " | " + lost + " | " + twice + " | " + other + " | "
                    + p50 + " | " + max + " |";
        }

        private static String seconds(long millis) {
            return String.format("%.1f s", millis / 1000.0);
        }
    }

    /**
     * The steady load: unique generated frames, one about every {@link #UPLOAD_INTERVAL}, each retried with the same
     * bytes (so the same chip id) until accepted, as a client with a retry policy would: a 503 or no answer at all
     * (a request in flight when ingest was killed) is tried again a second later.
     */
    private static final class Load implements Runnable {

        record Counts(long accepted, long refused, long unanswered) {
            Counts plus(Counts other) {
                return new Counts(accepted + other.accepted, refused + other.refused, unanswered + other.unanswered);
            }

            Counts minus(Counts other) {
                return new Counts(accepted - other.accepted, refused - other.refused, unanswered - other.unanswered);
            }
        }

        private final ComposeStack stack;
        private final Set<String> accepted = ConcurrentHashMap.newKeySet();
        private final AtomicLong refused = new AtomicLong();
        private final AtomicLong unanswered = new AtomicLong();
        private final List<String> errors = new CopyOnWriteArrayList<>();
        /** Held by the loader for a whole upload with its retries, and by {@link #hold()} to stop it between two. */
        private final ReentrantLock uploading = new ReentrantLock();
        private volatile boolean stopped;
        private long seed = 1;

        Load(ComposeStack stack) {
            this.stack = stack;
        }

        @Override
        public void run() {
            while (!stopped) {
                uploading.lock();
                try {
                    String label = SyntheticScenes.LABELS.get((int) (seed % SyntheticScenes.LABELS.size()));
                    uploadUntilAccepted(SyntheticScenes.generate(seed++, 256, label), "soak-load");
                } finally {
                    uploading.unlock();
                }
                try {
                    Thread.sleep(UPLOAD_INTERVAL.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        /** Posts the frame until it is accepted (at most for {@link #SETTLE_TIMEOUT}); its chip id, or null. */
        String uploadUntilAccepted(SyntheticScenes.Scene scene, String platform) {
            long deadline = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
            while (System.nanoTime() < deadline && !stopped) {
                try {
                    HttpResponse<String> response = stack.postFrame(scene, platform, Duration.ofSeconds(60));
                    if (response.statusCode() == 200) {
                        String chip = ComposeStack.chipIds(response.body()).get(0);
                        accepted.add(chip);
                        return chip;
                    }
                    if (response.statusCode() != 503) {
                        errors.add("an upload answered " + response.statusCode() + ": " + response.body());
                        return null;
                    }
                    refused.incrementAndGet();
                } catch (IOException noAnswer) {
                    unanswered.incrementAndGet();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
                try {
                    Thread.sleep(1_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }
            return null;
        }

        Set<String> accepted() {
            return Set.copyOf(accepted);
        }

        /** Answers other than 200 and 503 (each a finding), and forgets them. */
        List<String> errors() {
            List<String> seen = List.copyOf(errors);
            errors.removeAll(seen);
            return seen;
        }

        Counts counts() {
            return new Counts(accepted.size(), refused.get(), unanswered.get());
        }

        void hold() {
            uploading.lock();
        }

        void release() {
            uploading.unlock();
        }

        void stop() {
            stopped = true;
        }
    }
}
