package io.pirstream.model.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.loss.Loss;

/**
 * Symmetric InfoNCE over a batch: each image against all texts and each text against all images,
 * the matching pair being the positive, with a learnable temperature.
 *
 * <p>Predictions: {@code v_emb (B, d)}, {@code t_emb (B, d)}, {@code log(1/temperature)} (1),
 * unit-length embeddings. Labels: scene class ids {@code (B)} (used by {@link AffiliationLoss}) and, optionally,
 * {@code describes (B, B)}: 1 where text {@code j} is a caption of image {@code i}. Data sets repeat captions word for
 * word across images (RSICD: "many buildings and green trees are in a dense residential area" describes 140 training
 * images), so a batch's text can describe other images than its own; those pairs are positives, sharing the target
 * weight of their row, not negatives. Without it, the matching pair alone is the positive.
 */
public class ContrastiveLoss extends Loss {

    /** Upper bound of the logit scale (temperature 0.01), as in CLIP. */
    public static final float MAX_LOGIT_SCALE = 100f;

    public ContrastiveLoss() {
        this("InfoNCE");
    }

    protected ContrastiveLoss(String name) {
        super(name);
    }

    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        NDArray images = predictions.get(0);
        NDArray texts = predictions.get(1);
        NDArray scale = predictions.get(2).exp().clip(0f, MAX_LOGIT_SCALE);
        NDArray classes = labels.get(0);
        NDArray imageToText = crossEntropy(logits(images, texts, classes, scale), targets(labels, false));
        NDArray textToImage = crossEntropy(logits(texts, images, classes, scale), targets(labels, true));
        return imageToText.add(textToImage).div(2f);
    }

    /**
     * Logits of each query row against the candidates of the opposite modality: here every row of
     * {@code candidates}, scaled.
     */
    protected NDArray logits(NDArray queries, NDArray candidates, NDArray classes, NDArray scale) {
        return queries.matMul(candidates.transpose()).mul(scale);
    }

    /**
     * Targets {@code (B, C)} matching {@link #logits}, each row summing to 1: the pairs of {@code describes} (rows:
     * images, or texts when {@code textQueries}), else the diagonal.
     */
    protected NDArray targets(NDList labels, boolean textQueries) {
        if (labels.size() < 2) {
            return labels.get(0).getManager().eye((int) labels.get(0).getShape().get(0));
        }
        NDArray describes = labels.get(1).toType(DataType.FLOAT32, false);
        NDArray rows = textQueries ? describes.transpose() : describes;
        return rows.div(rows.sum(new int[] {1}, true));
    }

    /** Mean over rows of {@code -sum(target * log_softmax(logits))}. */
    protected static NDArray crossEntropy(NDArray logits, NDArray targets) {
        return logits.logSoftmax(-1).mul(targets.toType(DataType.FLOAT32, false)).sum(new int[] {1}).neg().mean();
    }
}
