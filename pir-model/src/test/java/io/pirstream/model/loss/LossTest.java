package io.pirstream.model.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Both losses against values computed by hand (and checked with numpy). */
class LossTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private NDList predictions(float[] v, float[] t, int rows, float scale) {
        return new NDList(manager.create(v, new Shape(rows, 2)), manager.create(t, new Shape(rows, 2)),
                manager.create(new float[] {(float) Math.log(scale)}));
    }

    private NDList classes(float... ids) {
        return new NDList(manager.create(ids));
    }

    @Test
    void infoNceOnMatchingOrthogonalPairs() {
        // logits = I, each row: -log(e / (e + 1)) = log(1 + 1/e)
        float loss = new ContrastiveLoss().evaluate(classes(0, 1), predictions(new float[] {1, 0, 0, 1}, new float[] {1, 0, 0, 1}, 2, 1f)).getFloat();
        assertThat(loss).as("symmetric InfoNCE").isCloseTo((float) Math.log(1 + Math.exp(-1)), within(1e-5f));
    }

    @Test
    void infoNceIsSymmetricAndScaled() {
        // v = I, t = [[.6,.8],[1,0]], scale 2: i2t rows [1.2, 2], [1.6, 0]; t2i rows [1.2, 1.6], [2, 0]
        double i2t = (Math.log(1 + Math.exp(0.8)) + Math.log(1 + Math.exp(1.6))) / 2;
        double t2i = (Math.log(1 + Math.exp(0.4)) + Math.log(1 + Math.exp(2))) / 2;
        float loss = new ContrastiveLoss().evaluate(classes(0, 1), predictions(new float[] {1, 0, 0, 1}, new float[] {0.6f, 0.8f, 1, 0}, 2, 2f))
                .getFloat();
        assertThat(loss).as("mean of both directions").isCloseTo((float) ((i2t + t2i) / 2), within(1e-5f));
        assertThat(loss).as("numpy reference").isCloseTo(1.4987362f, within(1e-5f));
    }

    @Test
    void affiliationAgainstClassCentresOfTheOtherModality() {
        // classes [0, 0, 1]; text centres: c0 = [1,0], c1 = [0,1]; image centres: c0 = [.707,.707], c1 = [0,1]
        double i2c = (Math.log(1 + Math.exp(-1)) + Math.log(1 + Math.exp(1)) + Math.log(1 + Math.exp(-1))) / 3;
        double r = Math.sqrt(0.5);
        double t2c = (2 * Math.log(1 + Math.exp(-r)) + Math.log(1 + Math.exp(r - 1))) / 3;
        float loss = new AffiliationLoss().evaluate(classes(0, 0, 1),
                predictions(new float[] {1, 0, 0, 1, 0, 1}, new float[] {1, 0, 1, 0, 0, 1}, 3, 1f)).getFloat();
        assertThat(loss).as("affiliation loss").isCloseTo((float) ((i2c + t2c) / 2), within(1e-5f));
        assertThat(loss).as("numpy reference").isCloseTo(0.5498063f, within(1e-5f));
    }

    @Test
    void sameClassEntriesAreNotNegatives() {
        // two identical same-class pairs and one other class: the duplicate must not count as a negative
        float same = new AffiliationLoss().evaluate(classes(4, 4, 9),
                predictions(new float[] {1, 0, 1, 0, 0, 1}, new float[] {1, 0, 1, 0, 0, 1}, 3, 1f)).getFloat();
        float single = new AffiliationLoss().evaluate(classes(4, 9),
                predictions(new float[] {1, 0, 0, 1}, new float[] {1, 0, 0, 1}, 2, 1f)).getFloat();
        assertThat(same).as("duplicated class member changes nothing").isCloseTo(single, within(1e-6f));
    }

    @Test
    void unlabelledEntriesAreTheirOwnClass() {
        float affiliation = new AffiliationLoss().evaluate(classes(-1, -1),
                predictions(new float[] {1, 0, 0, 1}, new float[] {1, 0, 0, 1}, 2, 1f)).getFloat();
        float infoNce = new ContrastiveLoss().evaluate(classes(-1, -1),
                predictions(new float[] {1, 0, 0, 1}, new float[] {1, 0, 0, 1}, 2, 1f)).getFloat();
        assertThat(affiliation).as("without classes, affiliation = InfoNCE").isCloseTo(infoNce, within(1e-6f));
    }

    @Test
    void aCaptionSharedByTwoImagesIsAPositiveOfBoth() {
        NDList p = predictions(new float[] {1, 0, 0, 1}, new float[] {1, 0, 0, 1}, 2, 1f);
        NDList sharedCaption = new NDList(manager.create(new float[] {0, 1}), manager.create(new float[][] {{1, 1}, {0, 1}}));
        NDList ownOnly = new NDList(manager.create(new float[] {0, 1}), manager.create(new float[][] {{1, 0}, {0, 1}}));
        // image 0 and text 1 (a caption of both images) are positives, half the target weight of image 0's row and of
        // text 1's row each: both directions come to log(1 + e) - 3/4
        float expected = (float) (Math.log(1 + Math.E) - 0.75);
        assertThat(new ContrastiveLoss().evaluate(sharedCaption, p).getFloat()).as("shared caption").isCloseTo(expected, within(1e-5f));
        assertThat(new ContrastiveLoss().evaluate(ownOnly, p).getFloat()).as("own captions only: the diagonal")
                .isCloseTo(new ContrastiveLoss().evaluate(classes(0, 1), p).getFloat(), within(1e-6f));
        assertThat(new AffiliationLoss().evaluate(sharedCaption, p).getFloat()).as("the affiliation loss goes by class")
                .isCloseTo(new AffiliationLoss().evaluate(classes(0, 1), p).getFloat(), within(1e-6f));
    }

    @Test
    void pirLossAddsLambdaTimesAffiliation() {
        NDList p = predictions(new float[] {1, 0, 0, 1, 0, 1}, new float[] {1, 0, 1, 0, 0, 1}, 3, 1f);
        float base = new ContrastiveLoss().evaluate(classes(0, 0, 1), p).getFloat();
        float aff = new AffiliationLoss().evaluate(classes(0, 0, 1), p).getFloat();
        assertThat(new PirLoss(0.5f).evaluate(classes(0, 0, 1), p).getFloat()).as("InfoNCE + 0.5 * affiliation")
                .isCloseTo(base + 0.5f * aff, within(1e-5f));
        assertThat(new PirLoss(0f).evaluate(classes(0, 0, 1), p).getFloat()).as("lambda 0").isCloseTo(base, within(1e-6f));
    }
}
