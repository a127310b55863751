package io.pirstream.model.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.pirstream.model.Checkpoint;
import io.pirstream.model.ImageEmbedding;
import io.pirstream.model.ModelConfig;
import io.pirstream.model.PirModel;
import io.pirstream.model.data.ImageCodec;
import io.pirstream.model.data.KarpathyCaptions;
import io.pirstream.model.data.Sample;
import io.pirstream.model.data.Split;
import io.pirstream.model.eval.Evaluator;
import io.pirstream.model.loss.HardNegativeLoss;
import io.pirstream.model.loss.PirLoss;
import io.pirstream.model.nn.PirNetwork;
import io.pirstream.model.text.TextFeaturizer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;

/**
 * One round of fine-tuning a released checkpoint on users' judgements:
 *
 * <ol>
 *   <li>a deterministic slice of the judgements (by a hash of query and chip) is held out for validation;
 *   <li>the parent is evaluated on the generated val set, RSICD val when configured, and the held-out judgements;
 *   <li>the parent's unfrozen parts train (the instruction encoder stays frozen, as in {@link PirTrainer}) for a few
 *       steps at a small constant rate: "relevant" judgements as (image, text) pairs under the PIR loss together with
 *       replayed generated scenes (and RSICD train images) so that it does not forget; "not relevant" judgements
 *       through {@link HardNegativeLoss};
 *   <li>the candidate (its stored float16 weights, exactly) is evaluated the same way, {@link ValidationGate} decides
 *       on the {@linkplain #gated gated} metrics,
 *       and the checkpoint is written with the parent, the metrics of both and the decision in its manifest.
 * </ol>
 *
 * Nothing is written before the last step, so an aborted round leaves no checkpoint.
 */
public final class FeedbackFineTuner {

    /** First seed of the replayed generated scenes, apart from {@link TrainingData}'s training and val seeds. */
    public static final long REPLAY_SEED = 2_000_000_011L;
    /** Metric-key prefix of the generated val set. */
    public static final String SYNTHETIC = "synthetic.";
    /** Metric-key prefix of RSICD val. */
    public static final String RSICD = "rsicd.";
    /** Metric-key prefix of the held-out judgements. */
    public static final String HELD_OUT = "feedback.heldout.";
    /** Metric-key prefix of the judgements trained on (reported, and gated like the others). */
    public static final String TRAINED = "feedback.train.";

    /**
     * A user's judgement with the chip's image.
     *
     * @param queryText what the user searched for
     * @param chipId the chip judged
     * @param image the chip's encoded image (PNG, JPEG)
     * @param relevant whether it answers the query
     */
    public record Judgement(String queryText, String chipId, byte[] image, boolean relevant) {
        public Judgement {
            Objects.requireNonNull(queryText, "queryText must not be null");
            Objects.requireNonNull(chipId, "chipId must not be null");
            Objects.requireNonNull(image, "image must not be null");
        }
    }

    /** Called after every step; throwing aborts the round before anything is written. */
    @FunctionalInterface
    public interface StepListener {
        void afterStep(int done, int total, float loss);

        StepListener NONE = (done, total, loss) -> {
        };
    }

    /**
     * What a round produced.
     *
     * @param checkpointDir where the candidate was written
     * @param candidate its manifest
     * @param parentMetrics validation metrics of the parent, in points
     * @param candidateMetrics the same of the candidate
     * @param decision the gate's verdict
     * @param trainedPairs "relevant" judgements trained on
     * @param trainedNegatives "not relevant" judgements trained on
     * @param heldOut judgements held out
     * @param skipped judgements whose image did not decode
     * @param seconds wall time
     */
    public record Result(Path checkpointDir, Checkpoint.Manifest candidate, Map<String, Double> parentMetrics,
            Map<String, Double> candidateMetrics, ValidationGate.Decision decision, int trainedPairs, int trainedNegatives, int heldOut,
            int skipped, double seconds) {
    }

    private FeedbackFineTuner() {
    }

    /**
     * Whether the gate compares a metric: each val set's mR, and R@10 and the not-relevant share of the judgements.
     * The single recalls (R@1, R@5, each direction) are recorded beside them but not gated: over 200 val chips one of
     * them moves by 4 points when 8 chips swap places, which a round that leaves mR where it was does (measured in
     * EVALUATION.md), while mR averages six of them.
     */
    public static boolean gated(String metric) {
        return metric.endsWith(".mR") || metric.endsWith(".R@10") || metric.endsWith(".notRelevantBeyond10");
    }

    private static Map<String, Double> gatedOnly(Map<String, Double> metrics) {
        Map<String, Double> out = new LinkedHashMap<>();
        metrics.forEach((k, v) -> {
            if (gated(k)) {
                out.put(k, v);
            }
        });
        return out;
    }

    /** Whether a judgement belongs to the held-out slice: a hash of the normalised query and the chip id. */
    public static boolean heldOut(String queryText, String chipId, int percent) {
        byte[] digest = sha256(normalise(queryText) + "\u0000" + chipId);
        int bucket = (int) (((digest[0] & 0xffL) << 24 | (digest[1] & 0xffL) << 16 | (digest[2] & 0xffL) << 8 | (digest[3] & 0xffL)) % 100);
        return bucket < percent;
    }

    /** Trimmed, lower case, single spaces: how queries are compared. */
    public static String normalise(String queryText) {
        return queryText.strip().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
    }

    /**
     * Runs a round.
     *
     * @param parent the checkpoint to start from
     * @param judgements resolved judgements (one per query and chip)
     * @param facts recorded in the candidate's manifest under {@code fineTune} (e.g. which feedback it consumed)
     * @param out folder the candidate checkpoint is written to
     * @throws IllegalArgumentException when no judgement is left to train on
     */
    public static Result run(Checkpoint.Loaded parent, List<Judgement> judgements, FineTuneConfig config, Map<String, Object> facts,
            Path out, PrintStream log, StepListener listener) {
        long start = System.nanoTime();
        Engine.getInstance().setRandomSeed((int) (long) config.seed());
        Checkpoint.Manifest pm = parent.manifest();
        ModelConfig mc = pm.model();
        int size = mc.imageSize();

        // 1. decode and split the judgements
        List<Example> train = new ArrayList<>();
        List<Example> held = new ArrayList<>();
        int skipped = 0;
        for (Judgement j : judgements) {
            byte[] rgb;
            try {
                rgb = ImageCodec.toRgb(ImageCodec.decode(j.image()), size);
            } catch (RuntimeException e) {
                skipped++;
                log.printf("skipping the judgement of chip %s: its image does not decode (%s)%n", j.chipId(), e.getMessage());
                continue;
            }
            Example example = new Example(j, new Item("feedback/" + j.chipId(), rgb, List.of(j.queryText()), true, -1, null, "feedback"));
            (heldOut(j.queryText(), j.chipId(), config.heldOutPercent()) ? held : train).add(example);
        }
        List<Example> positives = train.stream().filter(e -> e.judgement().relevant()).toList();
        List<Example> negatives = train.stream().filter(e -> !e.judgement().relevant()).toList();
        if (positives.isEmpty() && negatives.isEmpty()) {
            throw new IllegalArgumentException("no judgement left to train on (" + judgements.size() + " given, " + held.size()
                    + " held out, " + skipped + " undecodable)");
        }
        log.printf("fine-tune of %s: %d relevant and %d not-relevant judgements to train on, %d held out, %d skipped%n", pm.version(),
                positives.size(), negatives.size(), held.size(), skipped);

        // 2. replay and validation data
        List<Item> replay = new ArrayList<>(TrainingData.synthetic(REPLAY_SEED, config.replay(), size, pm.classes()));
        List<Item> syntheticVal = TrainingData.synthetic(TrainingData.DATA_SEED + TrainingData.SYNTHETIC_VAL_SEED, config.syntheticVal(), size,
                pm.classes());
        List<Item> rsicdVal = List.of();
        if (config.rsicd() != null) {
            Path rsicd = Path.of(config.rsicd());
            replay.addAll(TrainingData.items(subsample(KarpathyCaptions.read(rsicd, Split.TRAIN), config.replayRsicd()), size, pm.classes()));
            rsicdVal = TrainingData.items(KarpathyCaptions.read(rsicd, Split.VAL), size, pm.classes());
        }
        List<Item> allChips = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Example e : concat(train, held)) {
            if (seen.add(e.item().id())) {
                allChips.add(e.item());
            }
        }
        Validation validation = new Validation(syntheticVal, rsicdVal, allChips, train, held);

        Path trunkDir = null;
        try (NDManager manager = NDManager.newBaseManager();
                TextFeaturizer featurizer = PirModel.textFeaturizer(pm, true)) {
            PirNetwork network = new PirNetwork(mc, pm.classes().size(), featurizer.vocabularySize());
            network.initialize(manager, DataType.FLOAT32, PirModel.inputShapes(mc, featurizer));
            Checkpoint.load(network, parent.weights());
            PirModel view = PirModel.inMemory(manager, network, featurizer, pm);

            // 3. the parent's figures
            Map<String, Integer> cases = new HashMap<>();
            Map<String, Double> parentMetrics = validation.metrics(Evaluator.of(view), cases);
            log.println("parent: " + parentMetrics);

            // 4. train
            PirTrainer.freeze(network, config.fineTuneUnits());
            List<Item> items = new ArrayList<>();
            positives.forEach(e -> items.add(e.item()));
            negatives.forEach(e -> items.add(e.item()));
            items.addAll(replay);
            trunkDir = Files.createTempDirectory("pirstream-finetune-trunk");
            float lastLoss;
            try (TrunkCache maps = TrunkCache.open(network.imageTower(), manager, items, size, 1, trunkDir, log)) {
                lastLoss = train(network, manager, featurizer, maps, items, positives.size(), negatives.size(), config, log, listener);
            }

            // 5. the candidate as it is stored (float16), its figures, the verdict
            byte[] weights = Checkpoint.weights(network);
            network.freezeParameters(true);
            Checkpoint.load(network, weights);
            Map<String, Double> candidateMetrics = validation.metrics(Evaluator.of(view), cases);
            log.println("candidate: " + candidateMetrics);
            ValidationGate.Decision decision = ValidationGate.decide(gatedOnly(parentMetrics), gatedOnly(candidateMetrics), cases,
                    config.tolerancePoints());
            log.println(decision.accepted() ? "validation passed" : decision.reason());

            Map<String, Object> fineTune = new LinkedHashMap<>();
            fineTune.put("parentVersion", pm.version());
            fineTune.put("trainedPairs", positives.size());
            fineTune.put("trainedNegatives", negatives.size());
            fineTune.put("heldOut", held.size());
            fineTune.put("lastLoss", lastLoss);
            fineTune.put("accepted", decision.accepted());
            fineTune.put("regressions", decision.regressions());
            fineTune.put("config", config);
            fineTune.putAll(facts);
            Map<String, Object> metrics = new LinkedHashMap<>();
            metrics.put("validation", candidateMetrics);
            metrics.put("parentValidation", parentMetrics);
            metrics.put("fineTune", fineTune);
            Checkpoint.Manifest manifest = Checkpoint.write(out, weights, PirTrainer.manifest(weights, mc, pm.classes(), featurizer, metrics));
            double seconds = (System.nanoTime() - start) / 1e9;
            log.printf(Locale.ROOT, "fine-tune done in %.1f s: %s (parent %s)%n", seconds, manifest.version(), pm.version());
            return new Result(out, manifest, parentMetrics, candidateMetrics, decision, positives.size(), negatives.size(), held.size(), skipped,
                    seconds);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            deleteQuietly(trunkDir);
        }
    }

    /** A judgement and its decoded image. */
    private record Example(Judgement judgement, Item item) {
    }

    /**
     * The training steps. {@code items}: positives first, then negatives, then replay.
     *
     * @return the loss of the last step
     */
    private static float train(PirNetwork network, NDManager manager, TextFeaturizer featurizer, TrunkCache maps, List<Item> items,
            int positiveCount, int negativeCount, FineTuneConfig config, PrintStream log, StepListener listener) {
        Random random = new Random(config.seed());
        Cycle positives = new Cycle(range(0, positiveCount), random);
        Cycle negatives = new Cycle(range(positiveCount, positiveCount + negativeCount), random);
        Cycle replay = new Cycle(range(positiveCount + negativeCount, items.size()), random);
        Optimization opt = PirTrainer.optimization(network, config.lr(), config.backboneLrScale(), config.weightDecay(), 0, config.steps(), false,
                0);
        PirLoss pirLoss = new PirLoss(config.lambdaCs());
        HardNegativeLoss negativeLoss = new HardNegativeLoss();
        ParameterStore ps = new ParameterStore(manager, false);
        Progress progress = new Progress(log, "fine-tune", config.steps());
        float loss = Float.NaN;
        int skippedUpdates = 0;
        for (int s = 0; s < config.steps(); s++) {
            // positive pairs: feedback first, then replay, never two equal texts (they would be each other's negatives)
            List<Integer> rows = new ArrayList<>();
            List<String> texts = new ArrayList<>();
            Set<String> taken = new HashSet<>();
            fill(positives, Math.min(config.feedbackPerBatch(), positiveCount), items, rows, texts, taken, random);
            fill(replay, config.batch() - rows.size(), items, rows, texts, taken, random);
            if (rows.size() < 2) {
                throw new IllegalArgumentException("a step needs at least 2 positive pairs; set replay > 0");
            }
            int b = rows.size();
            List<Integer> negativeRows = new ArrayList<>();
            for (int k = 0; k < Math.min(config.negativesPerBatch(), negativeCount); k++) {
                int row = negatives.next();
                if (!negativeRows.contains(row)) {
                    negativeRows.add(row);
                    texts.add(items.get(row).texts().get(0));
                }
            }
            loss = step(network, ps, manager, featurizer, maps, items, rows, negativeRows, texts, b, pirLoss, negativeLoss,
                    config.negativeWeight());
            if (!opt.step()) {
                skippedUpdates++;
                log.printf(Locale.ROOT, "fine-tune step %d: loss %s, gradient not finite; update skipped%n", s + 1, loss);
            }
            progress.step(s + 1, loss, b + negativeRows.size());
            listener.afterStep(s + 1, config.steps(), loss);
        }
        if (skippedUpdates > config.steps() / 2) {
            throw new IllegalStateException(String.format(Locale.ROOT, "fine-tune diverged: %d of %d updates had non-finite gradients; lower lr",
                    skippedUpdates, config.steps()));
        }
        return loss;
    }

    private static float step(PirNetwork network, ParameterStore ps, NDManager manager, TextFeaturizer featurizer, TrunkCache maps,
            List<Item> items, List<Integer> rows, List<Integer> negativeRows, List<String> texts, int b, PirLoss pirLoss,
            HardNegativeLoss negativeLoss, float negativeWeight) {
        try (NDManager scope = manager.newSubManager()) {
            List<Integer> all = new ArrayList<>(rows);
            all.addAll(negativeRows);
            int[] indices = all.stream().mapToInt(Integer::intValue).toArray();
            float[] classes = new float[b];
            for (int i = 0; i < b; i++) {
                classes[i] = items.get(rows.get(i)).classId();
            }
            NDList text = featurizer.featurize(texts, scope);
            NDList inputs = new NDList(maps.batch(indices, new int[indices.length], scope), text.get(0), text.get(1));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDList out = network.forwardFromShared(ps, inputs, true);
                NDArray images = out.get(0);
                NDArray textVectors = out.get(1);
                NDArray scale = out.get(2);
                String positive = ":" + b;
                NDArray l = pirLoss.evaluate(new NDList(scope.create(classes)),
                        new NDList(images.get(positive), textVectors.get(positive), scale));
                if (!negativeRows.isEmpty()) {
                    String negative = b + ":";
                    l = l.add(negativeLoss.evaluate(textVectors.get(negative), images.get(positive), images.get(negative), scale)
                            .mul(negativeWeight));
                }
                gc.backward(l);
                return l.getFloat();
            }
        }
    }

    /** Adds up to {@code count} rows from {@code source} whose texts are not in the batch yet. */
    private static void fill(Cycle source, int count, List<Item> items, List<Integer> rows, List<String> texts, Set<String> taken,
            Random random) {
        int added = 0;
        for (int tries = 0; added < count && tries < 2 * source.size() + count; tries++) {
            int row = source.next();
            if (row < 0) {
                return;
            }
            Item item = items.get(row);
            String text = item.texts().get(random.nextInt(item.texts().size()));
            if (rows.contains(row) || !taken.add(normalise(text))) {
                continue;
            }
            rows.add(row);
            texts.add(text);
            added++;
        }
    }

    /** Endless shuffled passes over a list of rows; -1 when it is empty. */
    private static final class Cycle {
        private final List<Integer> rows;
        private final Random random;
        private int next;

        Cycle(List<Integer> rows, Random random) {
            this.rows = new ArrayList<>(rows);
            this.random = random;
            this.next = this.rows.size();
        }

        int next() {
            if (rows.isEmpty()) {
                return -1;
            }
            if (next == rows.size()) {
                Collections.shuffle(rows, random);
                next = 0;
            }
            return rows.get(next++);
        }

        int size() {
            return rows.size();
        }
    }

    /**
     * The figures the gate compares, in points: recall on the generated val set (and RSICD val), and for the judgements
     * the rank of each judged chip for its query among every judged chip and the generated val chips.
     */
    private record Validation(List<Item> syntheticVal, List<Item> rsicdVal, List<Item> judgedChips, List<Example> trained,
            List<Example> held) {

        Map<String, Double> metrics(Evaluator.Embedder model, Map<String, Integer> cases) {
            Evaluator.Embedder memo = memo(model);
            Map<String, Double> metrics = new LinkedHashMap<>();
            if (!syntheticVal.isEmpty()) {
                recall(metrics, cases, SYNTHETIC, Evaluator.captions(memo, syntheticVal).toMap(), syntheticVal);
            }
            if (!rsicdVal.isEmpty()) {
                recall(metrics, cases, RSICD, Evaluator.captions(memo, rsicdVal).toMap(), rsicdVal);
            }
            List<Item> gallery = new ArrayList<>(judgedChips);
            gallery.addAll(syntheticVal);
            float[][] images = memo.images(gallery).stream().map(ImageEmbedding::vector).toArray(float[][]::new);
            Map<String, Integer> galleryIndex = new HashMap<>();
            for (int i = 0; i < gallery.size(); i++) {
                galleryIndex.putIfAbsent(gallery.get(i).id(), i);
            }
            ranks(metrics, cases, HELD_OUT, held, memo, images, galleryIndex);
            ranks(metrics, cases, TRAINED, trained, memo, images, galleryIndex);
            return metrics;
        }

        /** Recall both ways; image-to-text is measured over the images, text-to-image over the captions. */
        private static void recall(Map<String, Double> metrics, Map<String, Integer> cases, String prefix, Map<String, Object> report,
                List<Item> set) {
            int captions = set.stream().filter(Item::captioned).mapToInt(i -> i.texts().size()).sum();
            for (String key : List.of("mR", "i2t_R@1", "i2t_R@5", "i2t_R@10", "t2i_R@1", "t2i_R@5", "t2i_R@10")) {
                metrics.put(prefix + key, ((Number) report.get(key)).doubleValue());
                cases.put(prefix + key, key.startsWith("t2i") ? captions : (int) set.stream().filter(Item::captioned).count());
            }
        }

        /**
         * {@code R@1/5/10}: relevant judgements whose chip ranks within K for the query; {@code notRelevantBeyond10}:
         * not-relevant ones whose chip ranks below the top 10. Ties count against the model.
         */
        private static void ranks(Map<String, Double> metrics, Map<String, Integer> cases, String prefix, List<Example> examples,
                Evaluator.Embedder model, float[][] images, Map<String, Integer> galleryIndex) {
            if (examples.isEmpty()) {
                return;
            }
            float[][] queries = model.texts(examples.stream().map(e -> e.judgement().queryText()).toList());
            int[] within = new int[3];
            int relevant = 0;
            int beyond = 0;
            int notRelevant = 0;
            for (int q = 0; q < examples.size(); q++) {
                int target = galleryIndex.get(examples.get(q).item().id());
                int rank = rank(queries[q], images, target);
                if (examples.get(q).judgement().relevant()) {
                    relevant++;
                    within[0] += rank <= 1 ? 1 : 0;
                    within[1] += rank <= 5 ? 1 : 0;
                    within[2] += rank <= 10 ? 1 : 0;
                } else {
                    notRelevant++;
                    beyond += rank > 10 ? 1 : 0;
                }
            }
            if (relevant > 0) {
                int[] k = {1, 5, 10};
                for (int i = 0; i < 3; i++) {
                    metrics.put(prefix + "R@" + k[i], percent(within[i], relevant));
                    cases.put(prefix + "R@" + k[i], relevant);
                }
            }
            if (notRelevant > 0) {
                metrics.put(prefix + "notRelevantBeyond10", percent(beyond, notRelevant));
                cases.put(prefix + "notRelevantBeyond10", notRelevant);
            }
        }
    }

    /** 1 + the number of other gallery images scoring at least as high as the target. */
    static int rank(float[] query, float[][] gallery, int target) {
        double own = dot(query, gallery[target]);
        int rank = 1;
        for (int i = 0; i < gallery.length; i++) {
            if (i != target && dot(query, gallery[i]) >= own) {
                rank++;
            }
        }
        return rank;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** Image embeddings computed once per item id (several metrics share the same chips). */
    private static Evaluator.Embedder memo(Evaluator.Embedder model) {
        Map<String, ImageEmbedding> cache = new HashMap<>();
        return new Evaluator.Embedder() {
            @Override
            public List<ImageEmbedding> images(List<Item> items) {
                List<Item> missing = items.stream().filter(i -> !cache.containsKey(i.id())).distinct().toList();
                List<ImageEmbedding> computed = model.images(missing);
                for (int i = 0; i < missing.size(); i++) {
                    cache.put(missing.get(i).id(), computed.get(i));
                }
                return items.stream().map(i -> cache.get(i.id())).toList();
            }

            @Override
            public float[][] texts(List<String> texts) {
                return model.texts(texts);
            }

            @Override
            public List<String> sceneClasses() {
                return model.sceneClasses();
            }
        };
    }

    private static double percent(int part, int whole) {
        return Math.round(10000.0 * part / whole) / 100.0;
    }

    private static List<Sample> subsample(List<Sample> samples, int max) {
        List<Sample> copy = new ArrayList<>(samples);
        copy.sort(Comparator.comparing(Sample::id));
        Collections.shuffle(copy, new Random(TrainingData.DATA_SEED));
        return copy.subList(0, Math.min(max, copy.size()));
    }

    private static List<Integer> range(int from, int to) {
        List<Integer> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(i);
        }
        return out;
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static byte[] sha256(String s) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary trunk cache left behind costs disk space only
        }
    }
}
