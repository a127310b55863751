package io.pirstream.model.train;

import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.pirstream.model.Checkpoint;
import io.pirstream.model.ImageEmbedding;
import io.pirstream.model.ModelConfig;
import io.pirstream.model.PirModel;
import io.pirstream.model.data.ClassDescriptions;
import io.pirstream.model.eval.Evaluator;
import io.pirstream.model.loss.PirLoss;
import io.pirstream.model.nn.InstructionEncoder;
import io.pirstream.model.nn.PirNetwork;
import io.pirstream.model.nn.VisualEncoder;
import io.pirstream.model.pretrained.PretrainedMobileNet;
import io.pirstream.model.pretrained.TfLiteFile;
import io.pirstream.model.text.MiniLmTokenStates;
import io.pirstream.model.text.TextFeaturizer;
import io.pirstream.model.text.WordVocabulary;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Trains a PIR model:
 *
 * <ol>
 *   <li>the instruction encoder starts from the ImageNet MobileNet (or random weights), is fine-tuned on the scene
 *       labels, and is frozen; the visual encoder's upper units start as a copy of its upper units;
 *   <li>the shared trunk's output is computed once per training image and dihedral variant ({@link TrunkCache});
 *   <li>the rest trains on those maps with InfoNCE + affiliation loss: the visual encoder's top {@code fineTuneUnits}
 *       backbone units at {@code backboneLrScale} x the rate of the layers above;
 *   <li>after every epoch: val metrics, {@code <work>/last}, and {@code <work>/best} when the selection score (val
 *       only) improves.
 * </ol>
 *
 * Resume reloads {@code <work>/last} and continues with the next epoch; AdamW moments restart, the learning-rate
 * schedule continues where it was.
 */
public final class PirTrainer {

    /** Sub-folder with the checkpoint of the latest epoch. */
    public static final String LAST = "last";
    /** Sub-folder with the best checkpoint on the val score. */
    public static final String BEST = "best";
    /** Instruction-encoder weights after scene pre-training, reusable with {@code --instruction-weights}. */
    public static final String INSTRUCTION = "instruction.params";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * What a run produced.
     *
     * @param best manifest of the best checkpoint
     * @param bestScore its selection score
     * @param seconds wall time
     */
    public record Result(Checkpoint.Manifest best, double bestScore, double seconds) {
    }

    private PirTrainer() {
    }

    /** Runs training; {@code resume} continues from {@code work/last} if it exists. */
    public static Result run(TrainConfig config, Path work, boolean resume, PrintStream log) {
        try {
            return runUnchecked(config, work, resume, log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where trunk caches live: {@code -Dpirstream.cache}, else {@code ~/.pirstream/cache}. */
    static Path cacheDir() {
        String configured = System.getProperty("pirstream.cache");
        return configured != null ? Path.of(configured) : Path.of(System.getProperty("user.home"), ".pirstream", "cache");
    }

    private static Result runUnchecked(TrainConfig config, Path work, boolean resume, PrintStream log) throws IOException {
        long start = System.nanoTime();
        Engine.getInstance().setRandomSeed((int) (long) config.seed());
        ModelConfig mc = config.model();
        Path lastDir = work.resolve(LAST);
        Checkpoint.Loaded previous = resume && Files.isDirectory(lastDir) ? Checkpoint.read(lastDir) : null;
        log.println("loading data ...");
        TrainingData data = TrainingData.load(config, previous == null ? null : previous.manifest().classes());
        log.printf("train items %d, classes %d, val: rsicd %d, rsscn7 %d, synthetic %d%n", data.train.size(), data.classes.size(),
                data.rsicdVal.size(), data.rsscn7Val.size(), data.syntheticVal.size());
        List<Item> train = data.train.stream().filter(i -> !i.texts().isEmpty()).toList();
        Files.createDirectories(work);

        try (NDManager manager = NDManager.newBaseManager();
                TextFeaturizer featurizer = featurizer(mc, data, previous, log)) {
            PirNetwork network = new PirNetwork(mc, data.classes.size(), featurizer.vocabularySize());
            network.setInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
            // the backbone has no batch norm (it is folded into the pre-trained weights): started from random weights it
            // needs He initialisation to pass a signal through its depth
            XavierInitializer he = new XavierInitializer(XavierInitializer.RandomType.GAUSSIAN, XavierInitializer.FactorType.IN, 2);
            network.imageTower().instructionEncoder().shared().setInitializer(he, Parameter.Type.WEIGHT);
            network.imageTower().instructionEncoder().top().setInitializer(he, Parameter.Type.WEIGHT);
            network.imageTower().visualEncoder().top().setInitializer(he, Parameter.Type.WEIGHT);
            network.initialize(manager, DataType.FLOAT32, PirModel.inputShapes(mc, featurizer));
            InstructionEncoder instruction = network.imageTower().instructionEncoder();
            VisualEncoder visual = network.imageTower().visualEncoder();
            Map<String, Object> trainingFacts = new LinkedHashMap<>();
            State state = new State();
            if (previous != null) {
                load(network, manager, previous.weights());
                state = readState(work);
                trainingFacts.putAll(castMap(previous.manifest().metrics().getOrDefault("training", Map.of())));
                log.printf("resumed from %s after epoch %d (best %.2f at epoch %d)%n", lastDir, state.epoch, state.bestScore, state.bestEpoch);
            } else {
                prepareInstruction(instruction, manager, data, config, work, log);
                copyParameters(instruction.top(), visual.top());
                trainingFacts.put("initialisation", config.pretrained() == null ? "random" : "ImageNet " + mc.backbone());
            }
            freeze(network, config.fineTuneUnits());
            trainingFacts.put("config", config);

            // 2. the frozen trunk, once per image and variant
            Path cache = cacheDir();
            try (TrunkCache trainMaps = TrunkCache.open(network.imageTower(), manager, train, mc.imageSize(), config.variants(), cache, log);
                    ValidationSets val = new ValidationSets(network, mc.imageSize(), manager, featurizer, data, cache, log)) {
                if (previous == null) {
                    trainingFacts.put("instructionValAccuracy", val.instructionAccuracy());
                    log.println("instruction encoder val accuracy: " + trainingFacts.get("instructionValAccuracy"));
                }
                // 3. contrastive training
                int steps = train.size() / config.batch();
                Optimization opt = optimization(network, config.lr(), config.backboneLrScale(), config.weightDecay(), config.warmupSteps(),
                        steps * config.epochs(), "cosine".equals(config.schedule()), state.epoch * steps);
                PirLoss loss = new PirLoss(config.lambdaCs());
                ParameterStore ps = new ParameterStore(manager, false);
                Random random = new Random(config.seed() + 31L * state.epoch);
                List<Integer> order = new ArrayList<>();
                for (int i = 0; i < train.size(); i++) {
                    order.add(i);
                }
                for (int epoch = state.epoch + 1; epoch <= config.epochs(); epoch++) {
                    Collections.shuffle(order, random);
                    Progress progress = new Progress(log, String.format(Locale.ROOT, "epoch %d/%d", epoch, config.epochs()), steps);
                    int skipped = 0;
                    for (int s = 0; s < steps; s++) {
                        List<Integer> chunk = order.subList(s * config.batch(), (s + 1) * config.batch());
                        float value = step(network, ps, manager, featurizer, trainMaps, train, chunk, loss, config.sharedCaptionPositives(), random);
                        if (!opt.step()) {
                            skipped++;
                            log.printf(Locale.ROOT, "epoch %d step %d: loss %s, gradient not finite; update skipped%n", epoch, s + 1, value);
                        }
                        progress.step(s + 1, value, chunk.size());
                    }
                    if (skipped > steps / 2) {
                        throw new IllegalStateException(String.format(Locale.ROOT, "training diverged in epoch %d: %d of %d updates had"
                                + " non-finite gradients; lower lr or raise warmupSteps in the config, then resume from %s", epoch, skipped,
                                steps, lastDir));
                    }
                    // 4. validate, checkpoint
                    Map<String, Object> metrics = val.metrics();
                    log.println("val: " + metrics);
                    Map<String, Object> facts = new LinkedHashMap<>(trainingFacts);
                    facts.put("epoch", epoch);
                    facts.put("trainPairsPerSecond", round(progress.throughput()));
                    facts.put("skippedUpdates", skipped);
                    metrics.put("training", facts);
                    double score = score(metrics);
                    byte[] weights = Checkpoint.weights(network);
                    Checkpoint.Manifest manifest = manifest(weights, mc, data.classes, featurizer, metrics);
                    Checkpoint.write(lastDir, weights, manifest);
                    if (score > state.bestScore) {
                        state.bestScore = score;
                        state.bestEpoch = epoch;
                        Checkpoint.write(work.resolve(BEST), weights, manifest);
                    }
                    state.epoch = epoch;
                    writeState(work, state);
                    log.printf(Locale.ROOT, "epoch %d: score %.2f (best %.2f at epoch %d), %s%n", epoch, score, state.bestScore,
                            state.bestEpoch, manifest.version());
                }
            }
            Checkpoint.Loaded best = Checkpoint.read(work.resolve(BEST));
            return new Result(best.manifest(), state.bestScore, (System.nanoTime() - start) / 1e9);
        }
    }

    /** Pre-trained weights, scene fine-tuning, or weights from an earlier run; saved for reuse. */
    private static void prepareInstruction(InstructionEncoder instruction, NDManager manager, TrainingData data, TrainConfig config,
            Path work, PrintStream log) throws IOException {
        if (config.instructionWeights() != null) {
            loadInstruction(instruction, manager, Path.of(config.instructionWeights()));
            log.println("instruction encoder loaded from " + config.instructionWeights());
            return;
        }
        if (config.pretrained() != null) {
            Path file = PretrainedMobileNet.file(Path.of(config.pretrained()), config.model().variant());
            List<AbstractBlock> units = new ArrayList<>();
            for (Block b : instruction.shared().getChildren().values()) {
                units.add((AbstractBlock) b);
            }
            for (Block b : instruction.top().getChildren().values()) {
                units.add((AbstractBlock) b);
            }
            PretrainedMobileNet.load(TfLiteFile.read(file), units);
            log.println("instruction encoder initialised from " + file);
        }
        if (config.instructionEpochs() > 0) {
            InstructionPretrainer.train(instruction, manager, data.train, config, log);
        }
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(work.resolve(INSTRUCTION)))) {
            instruction.saveParameters(out);
        }
    }

    /**
     * The instruction encoder never trains (here or in a fine-tune); the visual encoder's backbone only its top
     * {@code fineTuneUnits} (null: all of them).
     */
    static void freeze(PirNetwork network, Integer fineTuneUnits) {
        // unfreezing first also gives weights loaded on resume their autograd back
        network.freezeParameters(false);
        InstructionEncoder instruction = network.imageTower().instructionEncoder();
        VisualEncoder visual = network.imageTower().visualEncoder();
        instruction.freezeParameters(true);
        List<Block> top = new ArrayList<>(visual.top().getChildren().values());
        int trainable = fineTuneUnits == null ? top.size() : Math.min(fineTuneUnits, top.size());
        for (int i = 0; i < top.size(); i++) {
            top.get(i).freezeParameters(i < top.size() - trainable);
        }
    }

    /** AdamW over the trainable parameters: the visual encoder's backbone units at {@code backboneLrScale} x {@code lr}. */
    static Optimization optimization(PirNetwork network, float lr, float backboneLrScale, float weightDecay, int warmupSteps,
            int totalSteps, boolean cosine, int offset) {
        VisualEncoder visual = network.imageTower().visualEncoder();
        List<Parameter> backbone = visual.top().getParameters().values().stream().filter(Parameter::requiresGradient).toList();
        List<Parameter> rest = new ArrayList<>(network.getParameters().values().stream().filter(Parameter::requiresGradient).toList());
        rest.removeAll(backbone);
        List<Optimization.Group> groups = new ArrayList<>();
        groups.add(new Optimization.Group(rest, lr));
        if (!backbone.isEmpty()) {
            groups.add(new Optimization.Group(backbone, lr * backboneLrScale));
        }
        return new Optimization(groups, weightDecay, warmupSteps, totalSteps, cosine, offset);
    }

    private static float step(PirNetwork network, ParameterStore ps, NDManager manager, TextFeaturizer featurizer, TrunkCache maps,
            List<Item> train, List<Integer> chunk, PirLoss loss, boolean sharedCaptionPositives, Random random) {
        try (NDManager scope = manager.newSubManager()) {
            int[] items = new int[chunk.size()];
            int[] variants = new int[chunk.size()];
            List<String> texts = new ArrayList<>(chunk.size());
            float[] classes = new float[chunk.size()];
            for (int i = 0; i < chunk.size(); i++) {
                Item item = train.get(chunk.get(i));
                items[i] = chunk.get(i);
                variants[i] = random.nextInt(maps.variants());
                texts.add(item.texts().get(random.nextInt(item.texts().size())));
                classes[i] = item.classId();
            }
            NDList text = featurizer.featurize(texts, scope);
            NDList inputs = new NDList(maps.batch(items, variants, scope), text.get(0), text.get(1));
            NDList labels = new NDList(scope.create(classes));
            if (sharedCaptionPositives) {
                labels.add(scope.create(describes(chunk.stream().map(train::get).toList(), texts)));
            }
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDList predictions = network.forwardFromShared(ps, inputs, true);
                NDArray l = loss.evaluate(labels, predictions);
                gc.backward(l);
                return l.getFloat();
            }
        }
    }

    /**
     * {@code (B, B)}: 1 where {@code texts[j]} is one of item {@code i}'s own texts, compared as written apart from case,
     * spacing and a final full stop (the diagonal always). The loss counts such pairs as positives.
     */
    static float[][] describes(List<Item> items, List<String> texts) {
        List<String> keys = texts.stream().map(PirTrainer::captionKey).toList();
        float[][] describes = new float[items.size()][texts.size()];
        for (int i = 0; i < items.size(); i++) {
            Set<String> own = new HashSet<>();
            items.get(i).texts().forEach(t -> own.add(captionKey(t)));
            for (int j = 0; j < texts.size(); j++) {
                describes[i][j] = i == j || own.contains(keys.get(j)) ? 1f : 0f;
            }
        }
        return describes;
    }

    private static String captionKey(String text) {
        String key = text.strip().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
        return key.endsWith(".") ? key.substring(0, key.length() - 1).strip() : key;
    }

    /**
     * The val sets with their trunk maps cached, evaluated through the same layers a loaded model runs (the trunk
     * map of an image is what {@link PirModel} computes first).
     */
    private static final class ValidationSets implements AutoCloseable {

        private final PirNetwork network;
        private final NDManager manager;
        private final TextFeaturizer featurizer;
        private final TrainingData data;
        private final Map<String, int[]> index = new HashMap<>();
        private final List<TrunkCache> caches = new ArrayList<>();

        ValidationSets(PirNetwork network, int imageSize, NDManager manager, TextFeaturizer featurizer, TrainingData data, Path cacheDir,
                PrintStream log) {
            this.network = network;
            this.manager = manager;
            this.featurizer = featurizer;
            this.data = data;
            for (List<Item> set : List.of(data.rsicdVal, data.rsscn7Val, data.syntheticVal)) {
                if (set.isEmpty()) {
                    continue;
                }
                TrunkCache cache = TrunkCache.open(network.imageTower(), manager, set, imageSize, 1, cacheDir, log);
                for (int i = 0; i < set.size(); i++) {
                    index.put(set.get(i).id(), new int[] {caches.size(), i});
                }
                caches.add(cache);
            }
        }

        Evaluator.Embedder embedder() {
            return new Evaluator.Embedder() {
                @Override
                public List<ImageEmbedding> images(List<Item> items) {
                    ParameterStore ps = new ParameterStore(manager, false);
                    List<ImageEmbedding> out = new ArrayList<>(items.size());
                    for (int first = 0; first < items.size(); first += PirModel.IMAGE_BATCH) {
                        List<Item> chunk = items.subList(first, Math.min(items.size(), first + PirModel.IMAGE_BATCH));
                        int cache = index.get(chunk.get(0).id())[0];
                        int[] rows = chunk.stream().mapToInt(i -> index.get(i.id())[1]).toArray();
                        try (NDManager scope = manager.newSubManager()) {
                            NDList result = network.imageTower().fromShared(ps, caches.get(cache).batch(rows, new int[rows.length], scope), false);
                            float[][] v = PirModel.rows(result.get(0));
                            float[][] p = PirModel.rows(result.get(1));
                            for (int j = 0; j < v.length; j++) {
                                out.add(new ImageEmbedding(v[j], p[j]));
                            }
                        }
                    }
                    return out;
                }

                @Override
                public float[][] texts(List<String> texts) {
                    return PirModel.embedTexts(network, featurizer, manager, texts);
                }

                @Override
                public List<String> sceneClasses() {
                    return data.classes;
                }
            };
        }

        Map<String, Object> instructionAccuracy() {
            Map<String, Object> acc = new LinkedHashMap<>();
            Evaluator.instructionAccuracy(embedder(), data.rsicdVal).ifPresent(a -> acc.put("rsicd_val", a));
            Evaluator.instructionAccuracy(embedder(), data.syntheticVal).ifPresent(a -> acc.put("synthetic_val", a));
            return acc;
        }

        Map<String, Object> metrics() {
            return validate(embedder(), data);
        }

        @Override
        public void close() {
            caches.forEach(TrunkCache::close);
        }
    }

    /** Val metrics of a model over the val sets of {@code data}. */
    static Map<String, Object> validate(Evaluator.Embedder model, TrainingData data) {
        Map<String, Object> metrics = new LinkedHashMap<>();
        if (!data.rsicdVal.isEmpty()) {
            metrics.put("rsicd_val", Evaluator.captions(model, data.rsicdVal).toMap());
        }
        if (!data.rsscn7Val.isEmpty()) {
            metrics.put("rsscn7_val", Evaluator.classes(model, data.rsscn7Val).toMap());
        }
        if (!data.syntheticVal.isEmpty()) {
            Map<String, Object> synth = Evaluator.captions(model, data.syntheticVal).toMap();
            Evaluator.classes(model, data.syntheticVal).toMap().forEach((k, v) -> {
                if (!"classes".equals(k)) {
                    synth.put("class_" + k, v);
                }
            });
            metrics.put("synthetic_val", synth);
        }
        return metrics;
    }

    /** The selection score: rsicd val mR, else generated-chip val mR, else rsscn7 val mAP. */
    static double score(Map<String, Object> metrics) {
        for (String[] key : new String[][] {{"rsicd_val", "mR"}, {"synthetic_val", "mR"}, {"rsscn7_val", "mAP"}}) {
            Object m = metrics.get(key[0]);
            if (m instanceof Map<?, ?> map && map.get(key[1]) instanceof Number n) {
                return n.doubleValue();
            }
        }
        return 0;
    }

    private static TextFeaturizer featurizer(ModelConfig mc, TrainingData data, Checkpoint.Loaded previous, PrintStream log) {
        LinkedHashSet<String> texts = new LinkedHashSet<>();
        data.train.forEach(i -> texts.addAll(i.texts()));
        if (ModelConfig.SCRATCH.equals(mc.textEncoder())) {
            if (previous != null) {
                return new WordVocabulary(previous.manifest().vocabulary(), mc.maxTokens());
            }
            WordVocabulary v = WordVocabulary.build(texts, 1, mc.maxTokens());
            log.println("scratch vocabulary: " + v.vocabularySize() + " words");
            return v;
        }
        MiniLmTokenStates states = new MiniLmTokenStates(mc.maxTokens(), true);
        for (List<Item> val : List.of(data.rsicdVal, data.syntheticVal)) {
            val.forEach(i -> texts.addAll(i.texts()));
        }
        for (String c : ClassDescriptions.classes()) {
            texts.addAll(ClassDescriptions.orGeneric(c));
            ClassDescriptions.evaluationPrompts(c).ifPresent(texts::addAll);
        }
        long t0 = System.nanoTime();
        states.precompute(new ArrayList<>(texts), 64);
        log.printf(Locale.ROOT, "all-MiniLM-L6-v2 token states for %d texts in %.1f s%n", texts.size(), (System.nanoTime() - t0) / 1e9);
        return states;
    }

    static Checkpoint.Manifest manifest(byte[] weights, ModelConfig mc, List<String> classes, TextFeaturizer featurizer, Map<String, Object> metrics) {
        List<String> vocabulary = featurizer instanceof WordVocabulary v ? v.words() : null;
        String sentenceSha = featurizer instanceof MiniLmTokenStates m ? m.modelSha256() : null;
        return Checkpoint.manifest(weights, mc, classes, vocabulary, sentenceSha, metrics);
    }

    /** Copies parameter values between two blocks of the same structure. */
    static void copyParameters(Block from, Block to) {
        List<Parameter> source = List.copyOf(from.getParameters().values());
        List<Parameter> target = List.copyOf(to.getParameters().values());
        if (source.size() != target.size()) {
            throw new IllegalStateException("cannot copy " + source.size() + " parameters onto " + target.size());
        }
        for (int i = 0; i < source.size(); i++) {
            source.get(i).getArray().copyTo(target.get(i).getArray());
        }
    }

    /**
     * Loads a frozen instruction encoder: {@code <work>/instruction.params} of an earlier run, or a checkpoint folder (the
     * shipped model, say), whose own instruction encoder is taken. A checkpoint may split its backbone into shared and
     * own units elsewhere than this run ({@code sharedUnits}): its units are copied in order, so a run can fine-tune more
     * of the visual backbone on the shipped model's scene-tuned encoder.
     */
    static void loadInstruction(InstructionEncoder instruction, NDManager manager, Path file) {
        List<Shape> shapes = shapes(instruction);
        try {
            if (Files.isDirectory(file)) {
                copyInstruction(Checkpoint.read(file), instruction, file, shapes);
                return;
            }
            try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
                instruction.loadParameters(manager, in);
            }
        } catch (IOException | MalformedModelException e) {
            throw new IllegalArgumentException("cannot load instruction weights " + file + ": " + e.getMessage(), e);
        }
        // DJL loads arrays of any shape over the initialised ones: an encoder of another network must not pass silently
        requireShapes(shapes(instruction), shapes, file);
    }

    private static void copyInstruction(Checkpoint.Loaded checkpoint, InstructionEncoder instruction, Path file, List<Shape> shapes) {
        Checkpoint.Manifest m = checkpoint.manifest();
        try (NDManager manager = NDManager.newBaseManager(); TextFeaturizer featurizer = PirModel.textFeaturizer(m, false)) {
            PirNetwork network = new PirNetwork(m.model(), m.classes().size(), featurizer.vocabularySize());
            network.initialize(manager, DataType.FLOAT32, PirModel.inputShapes(m.model(), featurizer));
            Checkpoint.load(network, checkpoint.weights());
            InstructionEncoder source = network.imageTower().instructionEncoder();
            requireShapes(shapes(source), shapes, file);
            copyParameters(source, instruction);
        }
    }

    private static void requireShapes(List<Shape> loaded, List<Shape> expected, Path file) {
        if (!loaded.equals(expected)) {
            throw new IllegalArgumentException("cannot load instruction weights " + file + ": they are of another network (parameter"
                    + " shapes " + loaded + ", this run's are " + expected + "); the classes and model config must match this run's");
        }
    }

    private static List<Shape> shapes(Block block) {
        return block.getParameters().values().stream().map(p -> p.getArray().getShape()).toList();
    }

    private static void load(PirNetwork network, NDManager manager, byte[] weights) {
        Checkpoint.load(network, weights);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    private static double round(double v) {
        return Math.round(v * 100.0) / 100.0;
    }

    /** Progress across restarts. */
    static final class State {
        public int epoch;
        public double bestScore = Double.NEGATIVE_INFINITY;
        public int bestEpoch;
    }

    private static State readState(Path work) {
        try {
            return JSON.readValue(work.resolve("state.json").toFile(), State.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + work.resolve("state.json"), e);
        }
    }

    private static void writeState(Path work, State state) {
        try {
            JSON.writeValue(work.resolve("state.json").toFile(), state);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
