package io.pirstream.model.train;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pirstream.model.ModelConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A training run, bound from a JSON file. Missing fields take the defaults below.
 *
 * @param model network shape
 * @param rsicd Karpathy-style caption set folder ({@code dataset.json} + {@code images/}), or null
 * @param rsscn7 labelled-folder set ({@code labels.csv} + {@code images/}), or null; its val split is evaluated,
 *     its train split (when it has one) trained on with class descriptions as texts
 * @param synthetic generated training chips
 * @param syntheticVal generated validation chips
 * @param batch pairs per step
 * @param lr peak learning rate (AdamW) of everything above the backbone
 * @param weightDecay AdamW weight decay
 * @param warmupSteps linear warm-up steps
 * @param schedule {@code cosine} or {@code constant} after warm-up
 * @param epochs PIR training epochs
 * @param instructionEpochs scene-classification epochs of the instruction encoder (the whole backbone trains)
 * @param instructionLr peak learning rate of the instruction encoder's backbone (its classifier gets 10x)
 * @param instructionBatch images per scene-classification step
 * @param pretrained folder with the ImageNet TFLite MobileNets to start from, or null to start from random weights
 * @param fineTuneUnits how many of the visual encoder's upper backbone units train with the PIR loss (from the top;
 *     0 = frozen; null = all of them)
 * @param backboneLrScale learning rate of the fine-tuned backbone units relative to {@code lr}
 * @param augment dihedral augmentation (the 8 flips and right-angle rotations; aerial views have no "up")
 * @param seed seed of every random choice
 * @param lambdaCs weight of the affiliation loss
 * @param maxTrainImages cap on real training images (0 = all), for quick runs
 * @param instructionWeights instruction-encoder weights from an earlier run ({@code <work>/instruction.params}) to
 *     reuse instead of pre-training again, or null
 * @param sharedCaptionPositives whether a batch's caption that is also a caption of another image in the batch counts
 *     as a positive of that image too (default), not as a negative (as v2 and its ablation rows trained)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TrainConfig(
        ModelConfig model,
        String rsicd,
        String rsscn7,
        Integer synthetic,
        Integer syntheticVal,
        int batch,
        float lr,
        Float weightDecay,
        Integer warmupSteps,
        String schedule,
        int epochs,
        Integer instructionEpochs,
        float instructionLr,
        int instructionBatch,
        String pretrained,
        Integer fineTuneUnits,
        float backboneLrScale,
        Boolean augment,
        Long seed,
        Float lambdaCs,
        int maxTrainImages,
        String instructionWeights,
        Boolean sharedCaptionPositives) {

    public TrainConfig {
        model = model == null ? ModelConfig.defaults() : model;
        synthetic = synthetic == null ? 1000 : synthetic;
        syntheticVal = syntheticVal == null ? 200 : syntheticVal;
        batch = batch == 0 ? 128 : batch;
        lr = lr == 0f ? 5e-4f : lr;
        weightDecay = weightDecay == null ? 0.01f : weightDecay;
        warmupSteps = warmupSteps == null ? 100 : warmupSteps;
        schedule = schedule == null ? "cosine" : schedule;
        epochs = epochs == 0 ? 10 : epochs;
        instructionEpochs = instructionEpochs == null ? 2 : instructionEpochs;
        instructionLr = instructionLr == 0f ? 2e-4f : instructionLr;
        instructionBatch = instructionBatch == 0 ? 32 : instructionBatch;
        backboneLrScale = backboneLrScale == 0f ? 0.1f : backboneLrScale;
        augment = augment == null ? Boolean.TRUE : augment;
        seed = seed == null ? 17L : seed;
        lambdaCs = lambdaCs == null ? 1f : lambdaCs;
        sharedCaptionPositives = sharedCaptionPositives == null ? Boolean.TRUE : sharedCaptionPositives;
        if (batch < 2) {
            throw new IllegalArgumentException("batch must be >= 2 for a contrastive loss: " + batch);
        }
        if (!"cosine".equals(schedule) && !"constant".equals(schedule)) {
            throw new IllegalArgumentException("schedule must be 'cosine' or 'constant': " + schedule);
        }
        if (rsicd == null && rsscn7 == null && synthetic == 0) {
            throw new IllegalArgumentException("no training data: set rsicd, rsscn7 or synthetic");
        }
        if (fineTuneUnits != null && fineTuneUnits < 0) {
            throw new IllegalArgumentException("fineTuneUnits must be >= 0: " + fineTuneUnits);
        }
    }

    /** Reads a config file; relative paths in it resolve against the config file's folder. */
    public static TrainConfig read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("config file not found: " + file);
        }
        try {
            TrainConfig c = new ObjectMapper().readValue(file.toFile(), TrainConfig.class);
            Path base = file.toAbsolutePath().getParent();
            return new TrainConfig(c.model(), resolve(base, c.rsicd()), resolve(base, c.rsscn7()), c.synthetic(), c.syntheticVal(), c.batch(),
                    c.lr(), c.weightDecay(), c.warmupSteps(), c.schedule(), c.epochs(), c.instructionEpochs(), c.instructionLr(),
                    c.instructionBatch(), resolve(base, c.pretrained()), c.fineTuneUnits(), c.backboneLrScale(), c.augment(), c.seed(),
                    c.lambdaCs(), c.maxTrainImages(), resolve(base, c.instructionWeights()), c.sharedCaptionPositives());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse config " + file + ": " + e.getMessage(), e);
        }
    }

    private static String resolve(Path base, String path) {
        return path == null ? null : base.resolve(path).normalize().toString();
    }

    /** A copy that reuses pre-trained instruction weights. */
    public TrainConfig withInstructionWeights(String path) {
        return new TrainConfig(model, rsicd, rsscn7, synthetic, syntheticVal, batch, lr, weightDecay, warmupSteps, schedule, epochs,
                instructionEpochs, instructionLr, instructionBatch, pretrained, fineTuneUnits, backboneLrScale, augment, seed, lambdaCs,
                maxTrainImages, path, sharedCaptionPositives);
    }

    /** A copy with another seed. */
    public TrainConfig withSeed(long s) {
        return new TrainConfig(model, rsicd, rsscn7, synthetic, syntheticVal, batch, lr, weightDecay, warmupSteps, schedule, epochs,
                instructionEpochs, instructionLr, instructionBatch, pretrained, fineTuneUnits, backboneLrScale, augment, s, lambdaCs,
                maxTrainImages, instructionWeights, sharedCaptionPositives);
    }

    /** Dihedral variants per training image: 8 with augmentation, 1 without. */
    public int variants() {
        return augment ? 8 : 1;
    }
}
