package io.pirstream.model;

/**
 * The embedding of one image.
 *
 * @param vector unit-length embedding, {@link PirModel#dimension()} floats
 * @param sceneProbabilities probability per class of {@link PirModel#sceneClasses()}
 */
public record ImageEmbedding(float[] vector, float[] sceneProbabilities) {
}
