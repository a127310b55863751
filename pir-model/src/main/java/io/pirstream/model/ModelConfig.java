package io.pirstream.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.pirstream.model.nn.BeliefBlock;
import java.util.Arrays;

/**
 * The shape of a PIR network, bound from the {@code model} object of a JSON config. Missing or zero
 * fields take the named defaults, so a config only states what it changes.
 *
 * @param imageSize square input side in pixels (multiple of 16)
 * @param instructionWidths stage widths of the instruction ResNet
 * @param visualWidths stage widths of the visual ResNet
 * @param unitsPerStage residual units per ResNet stage
 * @param width token and embedding width {@code d}
 * @param heads attention heads
 * @param mlpRatio MLP hidden width as a multiple of {@code width}
 * @param spatialLayers Spatial-PAE layers {@code n_v}
 * @param temporalLayers Temporal-PAE layers {@code n_t}
 * @param belief belief strategy
 * @param hardTopK tokens kept by the hard strategy
 * @param textEncoder {@code minilm} (frozen pre-trained token states) or {@code scratch}
 * @param maxTokens text tokens per query, including the leading class token
 * @param temperature initial InfoNCE temperature
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModelConfig(
        int imageSize,
        int[] instructionWidths,
        int[] visualWidths,
        int unitsPerStage,
        int width,
        int heads,
        int mlpRatio,
        Integer spatialLayers,
        Integer temporalLayers,
        BeliefBlock.Strategy belief,
        int hardTopK,
        String textEncoder,
        int maxTokens,
        float temperature) {

    /** Default input side. */
    public static final int DEFAULT_IMAGE_SIZE = 96;
    /** Default token and embedding width. */
    public static final int DEFAULT_WIDTH = 192;
    /** Default text encoder. */
    public static final String MINILM = "minilm";
    /** Text encoder trained from scratch. */
    public static final String SCRATCH = "scratch";

    public ModelConfig {
        imageSize = imageSize == 0 ? DEFAULT_IMAGE_SIZE : imageSize;
        instructionWidths = instructionWidths == null ? new int[] {32, 64, 128, 256} : instructionWidths;
        visualWidths = visualWidths == null ? new int[] {32, 64, 128, 192} : visualWidths;
        unitsPerStage = unitsPerStage == 0 ? 1 : unitsPerStage;
        width = width == 0 ? DEFAULT_WIDTH : width;
        heads = heads == 0 ? 4 : heads;
        mlpRatio = mlpRatio == 0 ? 2 : mlpRatio;
        spatialLayers = spatialLayers == null ? 2 : spatialLayers;
        temporalLayers = temporalLayers == null ? 3 : temporalLayers;
        belief = belief == null ? BeliefBlock.Strategy.SOFT : belief;
        hardTopK = hardTopK == 0 ? 12 : hardTopK;
        textEncoder = textEncoder == null ? MINILM : textEncoder;
        maxTokens = maxTokens == 0 ? 32 : maxTokens;
        temperature = temperature == 0f ? 0.07f : temperature;
        if (width % heads != 0) {
            throw new IllegalArgumentException("width must be a multiple of heads: width=" + width + " heads=" + heads);
        }
        int stride = 1 << visualWidths.length;
        if (imageSize % stride != 0 || imageSize % (1 << instructionWidths.length) != 0) {
            throw new IllegalArgumentException("imageSize must be a multiple of " + stride + ": " + imageSize);
        }
        if (spatialLayers < 0 || temporalLayers < 0) {
            throw new IllegalArgumentException("spatialLayers and temporalLayers must be >= 0");
        }
        if (!MINILM.equals(textEncoder) && !SCRATCH.equals(textEncoder)) {
            throw new IllegalArgumentException("textEncoder must be 'minilm' or 'scratch': " + textEncoder);
        }
        if (temperature <= 0f) {
            throw new IllegalArgumentException("temperature must be positive: " + temperature);
        }
    }

    /** All defaults. */
    public static ModelConfig defaults() {
        return new ModelConfig(0, null, null, 0, 0, 0, 0, null, null, null, 0, null, 0, 0f);
    }

    /** Local visual tokens per image. */
    public int visualTokens() {
        int side = imageSize / (1 << visualWidths.length);
        return side * side;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelConfig m && toString().equals(m.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    @Override
    public String toString() {
        return "ModelConfig[imageSize=" + imageSize + ", instructionWidths=" + Arrays.toString(instructionWidths)
                + ", visualWidths=" + Arrays.toString(visualWidths) + ", unitsPerStage=" + unitsPerStage
                + ", width=" + width + ", heads=" + heads + ", mlpRatio=" + mlpRatio + ", spatialLayers=" + spatialLayers
                + ", temporalLayers=" + temporalLayers + ", belief=" + belief + ", hardTopK=" + hardTopK
                + ", textEncoder=" + textEncoder + ", maxTokens=" + maxTokens + ", temperature=" + temperature + "]";
    }
}
