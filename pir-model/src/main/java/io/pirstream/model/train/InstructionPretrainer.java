package io.pirstream.model.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
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

/**
 * Fine-tunes the instruction encoder on remote-sensing scene classification (cross-entropy over the scene labels),
 * the whole backbone included, before it is frozen. The classifier is new and learns at 10x the backbone's rate.
 */
public final class InstructionPretrainer {

    private InstructionPretrainer() {
    }

    /** Trains {@code encoder} (already initialised in {@code manager}) on the labelled items. */
    public static void train(InstructionEncoder encoder, NDManager manager, List<Item> items, TrainConfig config, PrintStream log) {
        List<Item> labelled = new ArrayList<>(items.stream().filter(i -> i.classId() >= 0).toList());
        int batch = config.instructionBatch();
        int steps = Math.max(1, labelled.size() / batch);
        int epochs = config.instructionEpochs();
        List<Parameter> backbone = new ArrayList<>(encoder.shared().getParameters().values());
        backbone.addAll(encoder.top().getParameters().values());
        List<Parameter> head = new ArrayList<>(encoder.getParameters().values());
        head.removeAll(backbone);
        Optimization opt = new Optimization(List.of(new Optimization.Group(backbone, config.instructionLr()),
                new Optimization.Group(head, 10 * config.instructionLr())), config.weightDecay(), Math.min(50, steps), steps * epochs, true, 0);
        ParameterStore ps = new ParameterStore(manager, false);
        Loss ce = Loss.softmaxCrossEntropyLoss();
        Random random = new Random(config.seed() + 1);
        int size = config.model().imageSize();
        log.printf("instruction encoder: %d labelled images, %d epochs of %d steps%n", labelled.size(), epochs, steps);
        for (int epoch = 1; epoch <= epochs; epoch++) {
            Collections.shuffle(labelled, random);
            Progress progress = new Progress(log, String.format("instruction %d/%d", epoch, epochs), steps);
            for (int s = 0; s < steps; s++) {
                List<Item> chunk = labelled.subList(s * batch, (s + 1) * batch);
                try (NDManager scope = manager.newSubManager()) {
                    List<byte[]> pixels = new ArrayList<>();
                    float[] labels = new float[chunk.size()];
                    for (int i = 0; i < chunk.size(); i++) {
                        byte[] rgb = chunk.get(i).rgb();
                        pixels.add(config.augment() ? ImageCodec.dihedral(rgb, size, random.nextInt(8)) : rgb);
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
                    if (!opt.step()) {
                        log.printf("instruction step %d: gradient not finite; update skipped%n", s + 1);
                    }
                    progress.step(s + 1, loss, chunk.size());
                }
            }
        }
    }
}
