package io.pirstream.launcher;

import io.pirstream.model.CheckpointStore;
import io.pirstream.model.PirModel;
import io.pirstream.model.UntrainedCheckpoints;
import io.pirstream.schemas.ModelReleases;
import io.pirstream.schemas.TopicAccess;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Embedding;
import io.pirstream.schemas.avro.ModelRelease;
import io.pirstream.schemas.avro.PixelWindow;
import io.pirstream.schemas.avro.ReleaseStatus;
import io.pirstream.schemas.avro.Source;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Promotion -> flip on the query service of the embedded default: {@code --chips} embeddings of the shipped model
 * are indexed and serving, the same chips' embeddings of a second (untrained) version are on its topic, as an
 * embedder's replay leaves them; the release is promoted and the time to the flip is measured while a client
 * searches throughout (errors, versions and p50/p99 latency during the build).
 */
@Command(name = "bench-reindex", mixinStandardHelpOptions = true,
        description = "Measures promotion -> flip for N indexed chips, with a client searching throughout.")
final class ReindexBenchmark implements Callable<Integer> {

    private static final Pattern SERVING = Pattern.compile("\"serving\":\"([^\"]+)\"");

    @Option(names = "--home", description = "Project directory (default: current directory).")
    Path home = Path.of("").toAbsolutePath();

    @Option(names = "--chips", description = "Chips indexed (default: ${DEFAULT-VALUE}).")
    int chips = 10_000;

    @Override
    public Integer call() throws Exception {
        Path data = ScratchFolder.create("pirstream-bench-reindex-");
        ApiKeys keys = ApiKeys.random();
        UntrainedCheckpoints.writeTiny(data.resolve("candidate"));
        CheckpointStore.Stored candidate = new CheckpointStore(data.resolve("models")).store(data.resolve("candidate"));
        CheckpointStore.Stored shipped = CheckpointStore.builtin();
        Stack.Settings settings = new Stack.Settings(home, data, 0, 0, 0, 0, keys, data.resolve("drop"), Optional.empty(),
                EnumSet.of(Stack.Service.QUERY));
        try (Stack stack = Stack.start(settings);
                PirModel before = PirModel.loadDefault();
                PirModel after = PirModel.load(Path.of(candidate.uri()))) {
            Map<String, Object> kafka = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker().bootstrapServers());
            long written = System.nanoTime();
            write(kafka, before, chips);
            write(kafka, after, chips);
            System.out.printf("%d embeddings of each version written in %.1f s%n", chips, (System.nanoTime() - written) / 1e9);
            String query = stack.query().baseUrl();
            HttpClient http = HttpClient.newHttpClient();
            awaitIndexed(http, query, keys, before.version(), chips);

            List<long[]> searches = Collections.synchronizedList(new ArrayList<>()); // {nanos, status, version index}
            AtomicBoolean searching = new AtomicBoolean(true);
            AtomicInteger errors = new AtomicInteger();
            Thread client = new Thread(() -> {
                while (searching.get()) {
                    long start = System.nanoTime();
                    try {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(query + "/v1/search"))
                                .header("Authorization", "Bearer " + keys.analyst()).header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"text\": \"a harbour with boats\", \"k\": 10}"))
                                .build(), HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() != 200) {
                            errors.incrementAndGet();
                        }
                        searches.add(new long[] {System.nanoTime() - start, r.statusCode(),
                            r.body().contains(after.version()) ? 1 : 0});
                    } catch (Exception e) {
                        errors.incrementAndGet();
                    }
                }
            }, "bench-search");
            client.start();

            ModelRelease genesis = ModelReleases.genesis(shipped.version(), shipped.uri().toString(), shipped.sha256(),
                    shipped.sceneClasses(), Instant.now());
            ModelRelease next = ModelReleases.copy(genesis).setVersion(candidate.version())
                    .setCheckpointUri(candidate.uri().toString()).setSha256(candidate.sha256())
                    .setParentVersion(shipped.version()).setStatus(ReleaseStatus.CANDIDATE).build();
            String prefix = TopicAccess.RELEASES_TRANSACTIONAL_ID_PREFIX + "bench-";
            ModelReleases.publish(kafka, prefix, List.of(genesis, next));
            Thread.sleep(2_000); // the genesis is the serving version already: nothing to build
            int before0 = searches.size();
            long promoted = System.nanoTime();
            ModelReleases.publish(kafka, prefix, ModelReleases.promote(ModelReleases.read(kafka, Duration.ofSeconds(30)),
                    candidate.version(), Instant.now()));
            while (!after.version().equals(serving(http, query, keys))) {
                if (System.nanoTime() - promoted > Duration.ofMinutes(30).toNanos()) {
                    throw new IllegalStateException("no flip within 30 minutes");
                }
                Thread.sleep(100);
            }
            double flipSeconds = (System.nanoTime() - promoted) / 1e9;
            Thread.sleep(1_000);
            searching.set(false);
            client.join();
            List<long[]> during = searches.subList(before0, searches.size());
            List<Long> latencies = during.stream().map(s -> s[0]).sorted().toList();
            int flips = 0;
            for (int i = 1; i < searches.size(); i++) {
                flips += searches.get(i)[2] != searches.get(i - 1)[2] ? 1 : 0;
            }
            System.out.printf("promotion -> flip for %d chips: %.1f s (%.0f chips/s indexed, with a flip-settle of 1 s)%n",
                    chips, flipSeconds, chips / flipSeconds);
            System.out.printf("searches during the build: %d, errors %d, version changes %d, p50 %.1f ms, p99 %.1f ms%n",
                    during.size(), errors.get(), flips, IngestBenchmark.percentile(latencies, 0.5) / 1e6,
                    IngestBenchmark.percentile(latencies, 0.99) / 1e6);
            return errors.get() == 0 && flips == 1 ? 0 : 1;
        }
    }

    private static void write(Map<String, Object> kafka, PirModel model, int chips) {
        var topic = Topics.embeddings(model.version());
        Random random = new Random(11);
        try (KafkaProducer<String, Embedding> producer = new KafkaProducer<>(kafka, topic.keySerde().serializer(),
                topic.valueSerde().serializer())) {
            for (int i = 0; i < chips; i++) {
                List<Float> vector = new ArrayList<>();
                double norm = 0;
                float[] v = new float[model.dimension()];
                for (int d = 0; d < v.length; d++) {
                    v[d] = (float) random.nextGaussian();
                    norm += v[d] * v[d];
                }
                for (float x : v) {
                    vector.add((float) (x / Math.sqrt(norm)));
                }
                String chip = "bench-reindex-" + i;
                List<Float> scenes = new ArrayList<>(Collections.nCopies(model.sceneClasses().size(), 1f / model.sceneClasses().size()));
                producer.send(new ProducerRecord<>(topic.name(), chip, Embedding.newBuilder().setChipId(chip)
                        .setModelVersion(model.version()).setVector(vector).setSceneProbabilities(scenes)
                        .setTopScene(model.sceneClasses().get(0)).setSceneId("bench-scene-" + i / 16)
                        .setWindow(new PixelWindow(0, 0, 256, 256)).setSource(Source.DRONE).setPlatform("bench")
                        .setCapturedAt(Instant.now()).setEmbeddedAt(Instant.now()).setGeo(null)
                        .setThumbnail(ByteBuffer.wrap(new byte[0])).setIngestedAt(Instant.now()).build()));
            }
        }
    }

    private static void awaitIndexed(HttpClient http, String query, ApiKeys keys, String version, int chips) throws Exception {
        Pattern size = Pattern.compile("\"modelVersion\":\"" + Pattern.quote(version) + "\",\"applicationId\":\"[^\"]+\",\"state\":\"[A-Z_]+\",\"size\":(\\d+)");
        long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
        while (System.nanoTime() < deadline) {
            Matcher m = size.matcher(models(http, query, keys));
            if (m.find() && Integer.parseInt(m.group(1)) >= chips) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the serving index did not reach " + chips + " chips");
    }

    private static String serving(HttpClient http, String query, ApiKeys keys) throws Exception {
        Matcher m = SERVING.matcher(models(http, query, keys));
        return m.find() ? m.group(1) : null;
    }

    private static String models(HttpClient http, String query, ApiKeys keys) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(query + "/v1/models")).header("Authorization", "Bearer "
                + keys.analyst()).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
