package io.pirstream.model.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.pirstream.model.nn.ImageTower;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The PIR affiliation loss: InfoNCE of each embedding against the per-batch class centres of the
 * opposite modality. Entries of the same class share one centre, so they are never negatives of
 * each other. Class ids below zero mean "no class": such an entry forms a class of its own.
 */
public class AffiliationLoss extends ContrastiveLoss {

    public AffiliationLoss() {
        super("Affiliation");
    }

    @Override
    protected NDArray logits(NDArray queries, NDArray candidates, NDArray classes, NDArray scale) {
        NDArray membership = membership(classes, queries.getManager());
        // class centres of the candidates: mean of members, re-normalised (U, d)
        NDArray sums = membership.matMul(candidates);
        NDArray centres = ImageTower.normalize(sums.div(membership.sum(new int[] {1}, true)));
        return queries.matMul(centres.transpose()).mul(scale);
    }

    @Override
    protected NDArray targets(NDList labels, boolean textQueries) {
        NDArray classes = labels.get(0);
        return membership(classes, classes.getManager()).transpose();
    }

    /** {@code (U, B)} matrix: 1 where entry b belongs to the u-th distinct class of the batch. */
    static NDArray membership(NDArray classes, NDManager manager) {
        long[] ids = classes.toType(DataType.INT64, false).toLongArray();
        Map<Long, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < ids.length; i++) {
            // unlabelled entries are their own class
            long key = ids[i] < 0 ? Long.MIN_VALUE + i : ids[i];
            ids[i] = key;
            index.putIfAbsent(key, index.size());
        }
        float[] m = new float[index.size() * ids.length];
        for (int i = 0; i < ids.length; i++) {
            m[index.get(ids[i]) * ids.length + i] = 1f;
        }
        return manager.create(m, new ai.djl.ndarray.types.Shape(index.size(), ids.length));
    }
}
