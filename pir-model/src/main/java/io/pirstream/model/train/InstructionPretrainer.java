package io.pirstream.model.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import io.pirstream.model.data.ImageCodec;
import io.pirstream.model.nn.InstructionEncoder;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/** Pre-trains the instruction encoder on scene classification (cross-entropy over scene labels). */
public final class InstructionPretrainer {

    private InstructionPretrainer() {
    }

    /** Trains {@code encoder} (already initialised in {@code manager}) on the labelled items. */
    public static void train(InstructionEncoder encoder, NDManager manager, List<Item> items, TrainConfig config, PrintStream log) {
        List<Item> labelled = new ArrayList<>(items.stream().filter(i -> i.classId() >= 0).toList());
        int batch = config.batch();
        int steps = Math.max(1, labelled.size() / batch);
        int epochs = config.instructionEpochs();
        Optimization opt = new Optimization(encoder, config.instructionLr(), config.weightDecay(), Math.min(50, steps), steps * epochs, true, 0);
        ParameterStore ps = new ParameterStore(manager, false);
        Loss ce = Loss.softmaxCrossEntropyLoss();
        Random random = new Random(config.seed() + 1);
        int size = config.model().imageSize();
        for (int epoch = 1; epoch <= epochs; epoch++) {
            Collections.shuffle(labelled, random);
            Progress progress = new Progress(log, String.format("instruction %d/%d", epoch, epochs), steps);
            for (int s = 0; s < steps; s++) {
                List<Item> chunk = labelled.subList(s * batch, (s + 1) * batch);
                try (NDManager scope = manager.newSubManager()) {
                    List<byte[]> pixels = new ArrayList<>();
                    float[] labels = new float[chunk.size()];
                    for (int i = 0; i < chunk.size(); i++) {
                        pixels.add(config.augment() ? ImageCodec.augment(chunk.get(i).rgb(), size, random) : chunk.get(i).rgb());
                        labels[i] = chunk.get(i).classId();
                    }
                    NDArray images = ImageCodec.toInput(pixels, size, scope);
                    float loss;
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray logits = encoder.forward(ps, new NDList(images), true).get(1);
                        NDArray l = ce.evaluate(new NDList(scope.create(labels)), new NDList(logits));
                        gc.backward(l);
                        loss = l.getFloat();
                    }
                    opt.step();
                    progress.step(s + 1, loss, chunk.size());
                }
            }
        }
    }

    /** Accuracy (percent) of the encoder's own classifier on labelled items. */
    public static double accuracy(InstructionEncoder encoder, NDManager manager, List<Item> items, int size) {
        List<Item> labelled = items.stream().filter(i -> i.classId() >= 0).toList();
        if (labelled.isEmpty()) {
            return Double.NaN;
        }
        ParameterStore ps = new ParameterStore(manager, false);
        int correct = 0;
        for (int i = 0; i < labelled.size(); i += 64) {
            List<Item> chunk = labelled.subList(i, Math.min(labelled.size(), i + 64));
            try (NDManager scope = manager.newSubManager()) {
                NDArray images = ImageCodec.toInput(chunk.stream().map(Item::rgb).toList(), size, scope);
                long[] predicted = encoder.forward(ps, new NDList(images), false).get(1).argMax(1).toLongArray();
                for (int j = 0; j < chunk.size(); j++) {
                    correct += predicted[j] == chunk.get(j).classId() ? 1 : 0;
                }
            }
        }
        return 100.0 * correct / labelled.size();
    }
}
