package io.pirstream.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.pirstream.model.nn.BeliefBlock;
import io.pirstream.model.nn.MobileNet;

/**
 * The shape of a PIR network, bound from the {@code model} object of a JSON config. Missing or zero fields take
 * the named defaults, so a config only states what it changes.
 *
 * <p>The image side is a MobileNet cut in two: its lower {@code sharedUnits} units are shared by the instruction and
 * the visual encoder (frozen after scene pre-training); each encoder has its own copy of the upper units.
 *
 * @param imageSize square input side in pixels (a multiple of 32)
 * @param backbone {@code mobilenet_v1} or {@code mobilenet_v2}
 * @param widthMultiplier channel multiplier of the backbone (1 for the pre-trained networks; tests use less)
 * @param sharedUnits backbone units shared by both encoders; the rest are per encoder
 * @param width token and embedding width {@code d}
 * @param heads attention heads
 * @param mlpRatio MLP hidden width as a multiple of {@code width}
 * @param spatialLayers Spatial-PAE layers {@code n_v} (or transformer layers with {@code spatialEncoder=transformer})
 * @param temporalLayers Temporal-PAE layers {@code n_t}
 * @param belief belief strategy
 * @param hardTopK tokens kept by the hard strategy
 * @param spatialEncoder {@code pae} (PIR's Spatial-PAE) or {@code transformer} (PIR-CLIP: a plain encoder over the
 *     visual tokens and the instruction token)
 * @param textEncoder {@code minilm} (frozen pre-trained token states) or {@code scratch}
 * @param maxTokens text tokens per query, including the leading class token
 * @param temperature initial InfoNCE temperature
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModelConfig(
        int imageSize,
        String backbone,
        float widthMultiplier,
        Integer sharedUnits,
        int width,
        int heads,
        int mlpRatio,
        Integer spatialLayers,
        Integer temporalLayers,
        BeliefBlock.Strategy belief,
        int hardTopK,
        String spatialEncoder,
        String textEncoder,
        int maxTokens,
        float temperature) {

    /** Default input side: the pre-trained networks' 224 px cost about 2x more per chip than 160 px (BENCHMARKS.md). */
    public static final int DEFAULT_IMAGE_SIZE = 160;
    /** Default token and embedding width. */
    public static final int DEFAULT_WIDTH = 256;
    /** Default text encoder. */
    public static final String MINILM = "minilm";
    /** Text encoder trained from scratch. */
    public static final String SCRATCH = "scratch";
    /** PIR's Spatial-PAE. */
    public static final String PAE = "pae";
    /** PIR-CLIP's plain transformer encoder after the soft belief. */
    public static final String TRANSFORMER = "transformer";

    public ModelConfig {
        imageSize = imageSize == 0 ? DEFAULT_IMAGE_SIZE : imageSize;
        backbone = MobileNet.Variant.parse(backbone == null ? "mobilenet_v1" : backbone).configName();
        widthMultiplier = widthMultiplier == 0f ? 1f : widthMultiplier;
        MobileNet.Variant variant = MobileNet.Variant.parse(backbone);
        int units = MobileNet.unitCount(variant);
        sharedUnits = sharedUnits == null ? defaultSharedUnits(variant) : sharedUnits;
        width = width == 0 ? DEFAULT_WIDTH : width;
        heads = heads == 0 ? 4 : heads;
        mlpRatio = mlpRatio == 0 ? 2 : mlpRatio;
        spatialLayers = spatialLayers == null ? 2 : spatialLayers;
        temporalLayers = temporalLayers == null ? 3 : temporalLayers;
        belief = belief == null ? BeliefBlock.Strategy.SOFT : belief;
        hardTopK = hardTopK == 0 ? 12 : hardTopK;
        spatialEncoder = spatialEncoder == null ? PAE : spatialEncoder;
        textEncoder = textEncoder == null ? MINILM : textEncoder;
        maxTokens = maxTokens == 0 ? 32 : maxTokens;
        temperature = temperature == 0f ? 0.07f : temperature;
        if (width % heads != 0) {
            throw new IllegalArgumentException("width must be a multiple of heads: width=" + width + " heads=" + heads);
        }
        if (imageSize % 32 != 0 || imageSize < 32) {
            throw new IllegalArgumentException("imageSize must be a positive multiple of 32 (the backbone's stride): " + imageSize);
        }
        if (!(widthMultiplier > 0f)) {
            throw new IllegalArgumentException("widthMultiplier must be positive: " + widthMultiplier);
        }
        if (sharedUnits < 1 || sharedUnits >= units) {
            throw new IllegalArgumentException("sharedUnits must be between 1 and " + (units - 1) + " for " + backbone + ": " + sharedUnits);
        }
        if (spatialLayers < 0 || temporalLayers < 0) {
            throw new IllegalArgumentException("spatialLayers and temporalLayers must be >= 0");
        }
        if (!PAE.equals(spatialEncoder) && !TRANSFORMER.equals(spatialEncoder)) {
            throw new IllegalArgumentException("spatialEncoder must be 'pae' or 'transformer': " + spatialEncoder);
        }
        if (!MINILM.equals(textEncoder) && !SCRATCH.equals(textEncoder)) {
            throw new IllegalArgumentException("textEncoder must be 'minilm' or 'scratch': " + textEncoder);
        }
        if (temperature <= 0f) {
            throw new IllegalArgumentException("temperature must be positive: " + temperature);
        }
    }

    /** Units shared by default: V1 up to its stride-16 stage (12 of 14), V2 up to its 96-channel stage (14 of 19). */
    private static int defaultSharedUnits(MobileNet.Variant variant) {
        return variant == MobileNet.Variant.V1 ? 12 : 14;
    }

    /** All defaults. */
    public static ModelConfig defaults() {
        return new ModelConfig(0, null, 0f, null, 0, 0, 0, null, null, null, 0, null, null, 0, 0f);
    }

    /** The backbone variant. */
    public MobileNet.Variant variant() {
        return MobileNet.Variant.parse(backbone);
    }

    /** Local visual tokens per image (the cells of the stride-32 map). */
    public int visualTokens() {
        int side = imageSize / 32;
        return side * side;
    }

    /** A copy with another input size. */
    public ModelConfig withImageSize(int size) {
        return new ModelConfig(size, backbone, widthMultiplier, sharedUnits, width, heads, mlpRatio, spatialLayers, temporalLayers, belief,
                hardTopK, spatialEncoder, textEncoder, maxTokens, temperature);
    }
}
