package io.pirstream.model.train;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * One round of fine-tuning on feedback ({@link FeedbackFineTuner}). Zero or null fields take the defaults below.
 *
 * @param steps optimiser steps
 * @param batch positive pairs per step: feedback pairs first (at most {@code feedbackPerBatch}), replay pairs after
 * @param feedbackPerBatch most feedback pairs in one step (default a quarter of the batch)
 * @param negativesPerBatch most "not relevant" pairs in one step
 * @param negativeWeight weight of {@link io.pirstream.model.loss.HardNegativeLoss} against the PIR loss
 * @param lr learning rate (constant) of everything above the backbone; small: the parent is already trained
 * @param backboneLrScale rate of the visual encoder's backbone units relative to {@code lr}
 * @param weightDecay AdamW weight decay
 * @param fineTuneUnits visual-encoder backbone units that train (from the top); default 0: only the layers above the
 *     backbone, a third of the step time and less to forget (measured in EVALUATION.md)
 * @param replay generated scenes with their captions mixed in so that the model does not forget
 * @param replayRsicd RSICD train images mixed in as well when {@code rsicd} is set
 * @param rsicd Karpathy-style caption set (RSICD) folder: its train split for replay, its val split for the gate; null:
 *     neither
 * @param syntheticVal generated val chips of the gate (the set {@link TrainingData} validates on)
 * @param heldOutPercent share of the judgements, by a hash of (query, chip), kept out of training to validate on
 * @param tolerancePoints largest drop, in points, of any validation metric that still lets the candidate through;
 *     negative: every metric must improve by that much (drills and tests of the refusal path)
 * @param lambdaCs weight of the affiliation loss
 * @param seed seed of every random choice
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record FineTuneConfig(
        int steps,
        int batch,
        int feedbackPerBatch,
        int negativesPerBatch,
        Float negativeWeight,
        float lr,
        float backboneLrScale,
        Float weightDecay,
        Integer fineTuneUnits,
        Integer replay,
        Integer replayRsicd,
        String rsicd,
        Integer syntheticVal,
        Integer heldOutPercent,
        Double tolerancePoints,
        Float lambdaCs,
        Long seed) {

    /** Default optimiser steps: a few passes over ~100 judgements at the default batch. */
    public static final int DEFAULT_STEPS = 40;
    /** Default tolerance of the gate, in points. */
    public static final double DEFAULT_TOLERANCE_POINTS = 2.0;

    public FineTuneConfig {
        steps = steps == 0 ? DEFAULT_STEPS : steps;
        batch = batch == 0 ? 32 : batch;
        feedbackPerBatch = feedbackPerBatch == 0 ? Math.max(1, batch / 4) : feedbackPerBatch;
        fineTuneUnits = fineTuneUnits == null ? 0 : fineTuneUnits;
        negativesPerBatch = negativesPerBatch == 0 ? 8 : negativesPerBatch;
        negativeWeight = negativeWeight == null ? 0.5f : negativeWeight;
        lr = lr == 0f ? 5e-5f : lr;
        backboneLrScale = backboneLrScale == 0f ? 0.1f : backboneLrScale;
        weightDecay = weightDecay == null ? 0.01f : weightDecay;
        replay = replay == null ? 256 : replay;
        replayRsicd = replayRsicd == null ? 256 : replayRsicd;
        syntheticVal = syntheticVal == null ? 200 : syntheticVal;
        heldOutPercent = heldOutPercent == null ? 20 : heldOutPercent;
        tolerancePoints = tolerancePoints == null ? DEFAULT_TOLERANCE_POINTS : tolerancePoints;
        lambdaCs = lambdaCs == null ? 1f : lambdaCs;
        seed = seed == null ? 17L : seed;
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be >= 1: " + steps);
        }
        if (batch < 2) {
            throw new IllegalArgumentException("batch must be >= 2 for a contrastive loss: " + batch);
        }
        if (feedbackPerBatch < 1 || feedbackPerBatch > batch) {
            throw new IllegalArgumentException("feedbackPerBatch must be in 1..batch (" + batch + "): " + feedbackPerBatch);
        }
        if (negativesPerBatch < 0) {
            throw new IllegalArgumentException("negativesPerBatch must be >= 0: " + negativesPerBatch);
        }
        if (heldOutPercent < 0 || heldOutPercent > 90) {
            throw new IllegalArgumentException("heldOutPercent must be in 0..90: " + heldOutPercent);
        }
        if (replay < 0 || replayRsicd < 0 || syntheticVal < 0) {
            throw new IllegalArgumentException("replay, replayRsicd and syntheticVal must be >= 0");
        }
    }

    /** All defaults. */
    public static FineTuneConfig defaults() {
        return new FineTuneConfig(0, 0, 0, 0, null, 0f, 0f, null, null, null, null, null, null, null, null, null, null);
    }

    /** A copy with another number of steps. */
    public FineTuneConfig withSteps(int s) {
        return new FineTuneConfig(s, batch, feedbackPerBatch, negativesPerBatch, negativeWeight, lr, backboneLrScale, weightDecay,
                fineTuneUnits, replay, replayRsicd, rsicd, syntheticVal, heldOutPercent, tolerancePoints, lambdaCs, seed);
    }

    /** A copy with another gate tolerance. */
    public FineTuneConfig withTolerance(double points) {
        return new FineTuneConfig(steps, batch, feedbackPerBatch, negativesPerBatch, negativeWeight, lr, backboneLrScale, weightDecay,
                fineTuneUnits, replay, replayRsicd, rsicd, syntheticVal, heldOutPercent, points, lambdaCs, seed);
    }

    /** A copy with another seed. */
    public FineTuneConfig withSeed(long s) {
        return new FineTuneConfig(steps, batch, feedbackPerBatch, negativesPerBatch, negativeWeight, lr, backboneLrScale, weightDecay,
                fineTuneUnits, replay, replayRsicd, rsicd, syntheticVal, heldOutPercent, tolerancePoints, lambdaCs, s);
    }

    /** A copy with other data sizes: generated replay scenes and generated val chips. */
    public FineTuneConfig withData(int replayScenes, int syntheticValChips) {
        return new FineTuneConfig(steps, batch, feedbackPerBatch, negativesPerBatch, negativeWeight, lr, backboneLrScale, weightDecay,
                fineTuneUnits, replayScenes, replayRsicd, rsicd, syntheticValChips, heldOutPercent, tolerancePoints, lambdaCs, seed);
    }

    /** A copy that replays and validates on an RSICD folder (null: none). */
    public FineTuneConfig withRsicd(String folder) {
        return new FineTuneConfig(steps, batch, feedbackPerBatch, negativesPerBatch, negativeWeight, lr, backboneLrScale, weightDecay,
                fineTuneUnits, replay, replayRsicd, folder, syntheticVal, heldOutPercent, tolerancePoints, lambdaCs, seed);
    }
}
