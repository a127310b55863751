package io.pirstream.model.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;

/**
 * The term of a judged "not relevant" pair (text {@code u}, image {@code n}): the probability that {@code u} picks
 * {@code n} among the batch's images plus {@code n} ({@code p = softmax(scale * [u.I_1 .. u.I_B, u.n])_n}) should be
 * small; the loss is {@code -log(1 - p)}, averaged over the pairs. It pushes the judged chip below the batch's other
 * images for that text and is near zero once it is there, so a wrong judgement costs little.
 */
public final class HardNegativeLoss {

    /** Floor of {@code 1 - p} inside the logarithm. */
    private static final float EPSILON = 1e-6f;

    /**
     * @param texts {@code (J, d)} unit text embeddings of the judged pairs
     * @param images {@code (B, d)} unit image embeddings of the batch's positive pairs
     * @param negatives {@code (J, d)} unit image embeddings of the judged chips, row j belonging to text j
     * @param logitScale {@code log(1/temperature)} as the network outputs it
     * @return the mean loss (scalar)
     */
    public NDArray evaluate(NDArray texts, NDArray images, NDArray negatives, NDArray logitScale) {
        NDArray scale = logitScale.exp().clip(0f, ContrastiveLoss.MAX_LOGIT_SCALE);
        NDArray others = texts.matMul(images.transpose()).mul(scale);
        NDArray own = texts.mul(negatives).sum(new int[] {1}, true).mul(scale);
        NDArray logits = NDArrays.concat(new NDList(others, own), 1);
        NDArray p = logits.logSoftmax(-1).get(":, -1").exp();
        return p.neg().add(1f).clip(EPSILON, 1f).log().neg().mean();
    }
}
