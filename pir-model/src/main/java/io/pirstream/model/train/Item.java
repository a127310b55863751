package io.pirstream.model.train;

import java.util.List;

/**
 * A decoded image ready for training or evaluation.
 *
 * @param id sample id
 * @param rgb packed RGB pixels at the model's input size
 * @param texts texts to pair with it: captions, or class descriptions for label-only images
 * @param captioned whether {@code texts} are human (or generated) captions of this very image
 * @param classId index into the model's scene classes, or -1 when unknown or not one of them
 * @param label scene label, or null when unknown (kept when it is not one of the model's classes, for evaluation)
 * @param source data set name
 */
public record Item(String id, byte[] rgb, List<String> texts, boolean captioned, int classId, String label, String source) {
}
