package io.pirstream.model.eval;

import io.pirstream.model.ImageEmbedding;
import io.pirstream.model.PirModel;
import io.pirstream.model.data.ClassDescriptions;
import io.pirstream.model.train.Item;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Runs a model over evaluation items and computes the reported metrics. */
public final class Evaluator {

    private Evaluator() {
    }

    /** Image embeddings of items. */
    public static float[][] embedImages(PirModel model, List<Item> items) {
        List<byte[]> pixels = items.stream().map(Item::rgb).toList();
        return model.embedPixels(pixels).stream().map(ImageEmbedding::vector).toArray(float[][]::new);
    }

    /** Karpathy-protocol recall over captioned items. */
    public static RetrievalMetrics.Recall captions(PirModel model, List<Item> items) {
        List<Item> captioned = items.stream().filter(Item::captioned).toList();
        if (captioned.isEmpty()) {
            throw new IllegalArgumentException("no captioned images to evaluate");
        }
        float[][] images = embedImages(model, captioned);
        List<String> texts = new ArrayList<>();
        List<Integer> owner = new ArrayList<>();
        for (int i = 0; i < captioned.size(); i++) {
            for (String t : captioned.get(i).texts()) {
                texts.add(t);
                owner.add(i);
            }
        }
        float[][] captions = model.embedTexts(texts);
        return RetrievalMetrics.karpathy(images, captions, owner.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Class-level retrieval and zero-shot accuracy over labelled items, with class-description queries. */
    public static ClassMetrics.ClassLevel classes(PirModel model, List<Item> items, List<String> allClasses) {
        List<Item> labelled = items.stream().filter(i -> i.classId() >= 0).toList();
        if (labelled.isEmpty()) {
            throw new IllegalArgumentException("no labelled images to evaluate");
        }
        TreeSet<String> present = new TreeSet<>();
        labelled.forEach(i -> present.add(allClasses.get(i.classId())));
        List<String> classes = List.copyOf(present);
        float[][] queries = new float[classes.size()][];
        for (int c = 0; c < classes.size(); c++) {
            queries[c] = meanDirection(model.embedTexts(ClassDescriptions.orGeneric(classes.get(c))));
        }
        int[] labels = labelled.stream().mapToInt(i -> classes.indexOf(allClasses.get(i.classId()))).toArray();
        return ClassMetrics.evaluate(embedImages(model, labelled), labels, queries, classes);
    }

    /** Scene-classification accuracy of the instruction encoder (its own probabilities), in percent. */
    public static double instructionAccuracy(PirModel model, List<Item> items) {
        List<Item> labelled = items.stream().filter(i -> i.classId() >= 0).toList();
        List<ImageEmbedding> e = model.embedPixels(labelled.stream().map(Item::rgb).toList());
        int correct = 0;
        for (int i = 0; i < labelled.size(); i++) {
            correct += argmax(e.get(i).sceneProbabilities()) == labelled.get(i).classId() ? 1 : 0;
        }
        return 100.0 * correct / Math.max(1, labelled.size());
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    private static float[] meanDirection(float[][] vectors) {
        float[] out = new float[vectors[0].length];
        for (float[] v : vectors) {
            for (int k = 0; k < out.length; k++) {
                out[k] += v[k];
            }
        }
        double norm = 0;
        for (float x : out) {
            norm += x * x;
        }
        float inv = (float) (1.0 / Math.max(1e-9, Math.sqrt(norm)));
        for (int k = 0; k < out.length; k++) {
            out[k] *= inv;
        }
        return out;
    }

    /** JSON-friendly map of recall figures. */
    public static Map<String, Object> toMap(RetrievalMetrics.Recall r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("i2t_R@1", round(r.imageToText()[0]));
        m.put("i2t_R@5", round(r.imageToText()[1]));
        m.put("i2t_R@10", round(r.imageToText()[2]));
        m.put("t2i_R@1", round(r.textToImage()[0]));
        m.put("t2i_R@5", round(r.textToImage()[1]));
        m.put("t2i_R@10", round(r.textToImage()[2]));
        m.put("mR", round(r.meanRecall()));
        return m;
    }

    /** JSON-friendly map of class-level figures. */
    public static Map<String, Object> toMap(ClassMetrics.ClassLevel c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("classes", c.classes());
        m.put("mAP", round(c.meanAveragePrecision()));
        m.put("P@10", round(c.precisionAt10()));
        m.put("zeroShotAccuracy", round(c.zeroShotAccuracy()));
        return m;
    }

    static double round(double v) {
        return Math.round(v * 100.0) / 100.0;
    }
}
