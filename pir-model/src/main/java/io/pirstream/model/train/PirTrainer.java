package io.pirstream.model.train;

import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.pirstream.model.Checkpoint;
import io.pirstream.model.ModelConfig;
import io.pirstream.model.PirModel;
import io.pirstream.model.data.ClassDescriptions;
import io.pirstream.model.data.ImageCodec;
import io.pirstream.model.eval.Evaluator;
import io.pirstream.model.eval.RetrievalMetrics;
import io.pirstream.model.loss.PirLoss;
import io.pirstream.model.nn.InstructionEncoder;
import io.pirstream.model.nn.PirNetwork;
import io.pirstream.model.text.MiniLmTokenStates;
import io.pirstream.model.text.TextFeaturizer;
import io.pirstream.model.text.WordVocabulary;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Trains a PIR model: (1) pre-train and freeze the instruction encoder, (2) train the rest with
 * InfoNCE + affiliation loss, (3) evaluate on the val splits after every epoch, (4) write
 * {@code <work>/last} every epoch and {@code <work>/best} when the selection score improves.
 *
 * <p>Selection score (val only): rsicd val mR when rsicd is configured, else generated-chip val mR.
 * Resume reloads {@code <work>/last} and continues with the next epoch; AdamW moments restart,
 * the learning-rate schedule continues where it was.
 */
public final class PirTrainer {

    /** Sub-folder with the checkpoint of the latest epoch. */
    public static final String LAST = "last";
    /** Sub-folder with the best checkpoint on the val score. */
    public static final String BEST = "best";

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

        try (NDManager manager = NDManager.newBaseManager();
                TextFeaturizer featurizer = featurizer(mc, data, previous, log)) {
            PirNetwork network = new PirNetwork(mc, data.classes.size(), featurizer.vocabularySize());
            network.setInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
            network.initialize(manager, DataType.FLOAT32, PirModel.inputShapes(mc, featurizer));
            InstructionEncoder instruction = network.imageTower().instructionEncoder();
            Map<String, Object> trainingFacts = new LinkedHashMap<>();
            State state = new State();
            if (previous != null) {
                load(network, manager, previous.weights());
                state = readState(work);
                trainingFacts.putAll(castMap(previous.manifest().metrics().getOrDefault("training", Map.of())));
                log.printf("resumed from %s after epoch %d (best %.2f at epoch %d)%n", lastDir, state.epoch, state.bestScore, state.bestEpoch);
            } else {
                // 1. scene classification pre-training of the instruction encoder (or reuse of an earlier one)
                if (config.instructionWeights() != null) {
                    loadInstruction(instruction, manager, Path.of(config.instructionWeights()));
                    log.println("instruction encoder loaded from " + config.instructionWeights());
                } else {
                    InstructionPretrainer.train(instruction, manager, data.train, config, log);
                    Files.createDirectories(work);
                    try (java.io.DataOutputStream out = new java.io.DataOutputStream(Files.newOutputStream(work.resolve("instruction.params")))) {
                        instruction.saveParameters(out);
                    }
                }
                Map<String, Object> acc = new LinkedHashMap<>();
                acc.put("rsicd_val", round(InstructionPretrainer.accuracy(instruction, manager, data.rsicdVal, mc.imageSize())));
                acc.put("rsscn7_val", round(InstructionPretrainer.accuracy(instruction, manager, data.rsscn7Val, mc.imageSize())));
                acc.put("synthetic_val", round(InstructionPretrainer.accuracy(instruction, manager, data.syntheticVal, mc.imageSize())));
                trainingFacts.put("instructionValAccuracy", acc);
                log.println("instruction encoder val accuracy: " + acc);
            }
            instruction.freezeParameters(true);
            trainingFacts.put("config", config);

            // 2. contrastive training
            int steps = train.size() / config.batch();
            Optimization opt = new Optimization(network, config.lr(), config.weightDecay(), config.warmupSteps(), steps * config.epochs(),
                    "cosine".equals(config.schedule()), state.epoch * steps);
            PirLoss loss = new PirLoss(config.lambdaCs());
            ParameterStore ps = new ParameterStore(manager, false);
            Random random = new Random(config.seed() + 31L * state.epoch);
            List<Item> order = new ArrayList<>(train);
            for (int epoch = state.epoch + 1; epoch <= config.epochs(); epoch++) {
                Collections.shuffle(order, random);
                Progress progress = new Progress(log, String.format("epoch %d/%d", epoch, config.epochs()), steps);
                int skipped = 0;
                for (int s = 0; s < steps; s++) {
                    List<Item> chunk = order.subList(s * config.batch(), (s + 1) * config.batch());
                    float value = step(network, ps, manager, featurizer, chunk, config, loss, random);
                    if (!opt.step()) {
                        skipped++;
                        log.printf("epoch %d step %d: loss %s, gradient not finite; update skipped%n", epoch, s + 1, value);
                    }
                    progress.step(s + 1, value, chunk.size());
                }
                if (skipped > steps / 2) {
                    throw new IllegalStateException(String.format("training diverged in epoch %d: %d of %d updates had non-finite"
                            + " gradients; lower lr or raise warmupSteps in the config, then resume from %s", epoch, skipped, steps, lastDir));
                }
                // 3. validate, 4. checkpoint
                Map<String, Object> metrics = validate(network, mc, manager, featurizer, data, log);
                Map<String, Object> facts = new LinkedHashMap<>(trainingFacts);
                facts.put("epoch", epoch);
                facts.put("trainImagesPerSecond", round(progress.throughput()));
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
                log.printf("epoch %d: score %.2f (best %.2f at epoch %d), %s%n", epoch, score, state.bestScore, state.bestEpoch, manifest.version());
            }
            Checkpoint.Loaded best = Checkpoint.read(work.resolve(BEST));
            return new Result(best.manifest(), state.bestScore, (System.nanoTime() - start) / 1e9);
        }
    }

    private static float step(PirNetwork network, ParameterStore ps, NDManager manager, TextFeaturizer featurizer, List<Item> chunk,
            TrainConfig config, PirLoss loss, Random random) {
        int size = config.model().imageSize();
        try (NDManager scope = manager.newSubManager()) {
            List<byte[]> pixels = new ArrayList<>(chunk.size());
            List<String> texts = new ArrayList<>(chunk.size());
            float[] classes = new float[chunk.size()];
            for (int i = 0; i < chunk.size(); i++) {
                Item item = chunk.get(i);
                pixels.add(config.augment() ? ImageCodec.augment(item.rgb(), size, random) : item.rgb());
                texts.add(item.texts().get(random.nextInt(item.texts().size())));
                classes[i] = item.classId();
            }
            NDList text = featurizer.featurize(texts, scope);
            NDList inputs = new NDList(ImageCodec.toInput(pixels, size, scope), text.get(0), text.get(1));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDList predictions = network.forward(ps, inputs, true);
                NDArray l = loss.evaluate(new NDList(scope.create(classes)), predictions);
                gc.backward(l);
                return l.getFloat();
            }
        }
    }

    /** Val metrics of the current network. */
    static Map<String, Object> validate(PirNetwork network, ModelConfig mc, NDManager manager, TextFeaturizer featurizer, TrainingData data,
            PrintStream log) {
        Map<String, Object> metrics = new LinkedHashMap<>();
        Checkpoint.Manifest scratch = new Checkpoint.Manifest(Checkpoint.FORMAT, "in-training", mc, data.classes, null, null, null, Map.of());
        PirModel model = PirModel.inMemory(manager, network, featurizer, scratch);
        if (!data.rsicdVal.isEmpty()) {
            metrics.put("rsicd_val", Evaluator.toMap(Evaluator.captions(model, data.rsicdVal)));
        }
        if (!data.rsscn7Val.isEmpty()) {
            metrics.put("rsscn7_val", Evaluator.toMap(Evaluator.classes(model, data.rsscn7Val, data.classes)));
        }
        if (!data.syntheticVal.isEmpty()) {
            Map<String, Object> synth = Evaluator.toMap(Evaluator.captions(model, data.syntheticVal));
            synth.putAll(Evaluator.toMap(Evaluator.classes(model, data.syntheticVal, data.classes)).entrySet().stream()
                    .filter(e -> !"classes".equals(e.getKey())).collect(LinkedHashMap::new, (m, e) -> m.put("class_" + e.getKey(), e.getValue()), Map::putAll));
            metrics.put("synthetic_val", synth);
        }
        log.println("val: " + metrics);
        return metrics;
    }

    /** The selection score: rsicd val mR, else generated-chip val mR, else rsscn7 val mAP. */
    @SuppressWarnings("unchecked")
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
        ClassDescriptions.classes().forEach(c -> texts.addAll(ClassDescriptions.orGeneric(c)));
        long t0 = System.nanoTime();
        states.precompute(new ArrayList<>(texts), 64);
        log.printf("all-MiniLM-L6-v2 token states for %d texts in %.1f s%n", texts.size(), (System.nanoTime() - t0) / 1e9);
        return states;
    }

    static Checkpoint.Manifest manifest(byte[] weights, ModelConfig mc, List<String> classes, TextFeaturizer featurizer, Map<String, Object> metrics) {
        List<String> vocabulary = featurizer instanceof WordVocabulary v ? v.words() : null;
        String sentenceSha = featurizer instanceof MiniLmTokenStates m ? m.modelSha256() : null;
        return Checkpoint.manifest(weights, mc, classes, vocabulary, sentenceSha, metrics);
    }

    private static void loadInstruction(InstructionEncoder instruction, NDManager manager, Path file) {
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
            instruction.loadParameters(manager, in);
        } catch (IOException | MalformedModelException e) {
            throw new IllegalArgumentException("cannot load instruction weights " + file + ": " + e.getMessage(), e);
        }
    }

    private static void load(PirNetwork network, NDManager manager, byte[] weights) {
        try {
            network.loadParameters(manager, new DataInputStream(new ByteArrayInputStream(weights)));
        } catch (IOException | MalformedModelException e) {
            throw new IllegalStateException("cannot resume: " + e.getMessage(), e);
        }
        // loaded arrays are fresh tensors without autograd: re-attach gradients where the parameter trains (not to
        // running statistics, which must not be touched by the optimizer)
        for (var parameter : network.getParameters().values()) {
            if (parameter.requiresGradient()) {
                parameter.getArray().setRequiresGradient(true);
            }
        }
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
