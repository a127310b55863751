package io.pirstream.model.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;

/** The PIR training objective: symmetric InfoNCE plus {@code lambdaCs} times the affiliation loss. */
public final class PirLoss extends Loss {

    /** Default weight of the affiliation loss, as in the paper. */
    public static final float DEFAULT_LAMBDA_CS = 1f;

    /** The pair-level term. */
    private final ContrastiveLoss contrastive = new ContrastiveLoss();
    /** The class-level term. */
    private final AffiliationLoss affiliation = new AffiliationLoss();
    /** Weight of the affiliation loss; 0 switches it off. */
    private final float lambdaCs;

    public PirLoss(float lambdaCs) {
        super("PirLoss");
        if (lambdaCs < 0f) {
            throw new IllegalArgumentException("lambdaCs must be >= 0: " + lambdaCs);
        }
        this.lambdaCs = lambdaCs;
    }

    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        NDArray loss = contrastive.evaluate(labels, predictions);
        if (lambdaCs > 0f) {
            loss = loss.add(affiliation.evaluate(labels, predictions).mul(lambdaCs));
        }
        return loss;
    }
}
