package io.pirstream.model.eval;

import io.pirstream.model.ImageEmbedding;
import io.pirstream.model.PirModel;
import io.pirstream.model.data.ClassDescriptions;
import io.pirstream.model.train.Item;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;

/** Runs a model over evaluation items and computes the reported metrics. */
public final class Evaluator {

    /** What evaluation needs of a model: image embeddings with scene probabilities, and text embeddings. */
    public interface Embedder {
        /** One embedding per item, in order. */
        List<ImageEmbedding> images(List<Item> items);

        /** One unit vector per text, in order. */
        float[][] texts(List<String> texts);

        /** The model's scene classes, in the order of the probabilities. */
        List<String> sceneClasses();
    }

    private Evaluator() {
    }

    /** An embedder over a model's public API (pixels in, as a service would). */
    public static Embedder of(PirModel model) {
        return new Embedder() {
            @Override
            public List<ImageEmbedding> images(List<Item> items) {
                return model.embedPixels(items.stream().map(Item::rgb).toList());
            }

            @Override
            public float[][] texts(List<String> texts) {
                return model.embedTexts(texts);
            }

            @Override
            public List<String> sceneClasses() {
                return model.sceneClasses();
            }
        };
    }

    /** Recall of one caption set under both tie rules. */
    public record CaptionReport(RetrievalMetrics.Recall tiesAgainst, RetrievalMetrics.Recall tiesInFavour) {

        /** {@code mR}, {@code t2i_R@10}, ... (ties against) and the same keys suffixed {@code _tiesInFavour}. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = Evaluator.toMap(tiesAgainst, "");
            m.putAll(Evaluator.toMap(tiesInFavour, "_tiesInFavour"));
            return m;
        }
    }

    /**
     * Class-level figures of one labelled set: with the class descriptions (texts the model may have trained on, for
     * label-only training images) and with the evaluation-only prompts (null when not written for every class).
     */
    public record ClassReport(ClassMetrics.ClassLevel descriptions, ClassMetrics.ClassLevel evaluationPrompts) {

        /** {@code mAP}, ... and, with evaluation prompts, the same keys prefixed {@code evalPrompts_}. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = Evaluator.toMap(descriptions);
            if (evaluationPrompts != null) {
                Evaluator.toMap(evaluationPrompts).forEach((k, v) -> {
                    if (!"classes".equals(k)) {
                        m.put("evalPrompts_" + k, v);
                    }
                });
            }
            return m;
        }
    }

    /** Karpathy-protocol recall over captioned items, with ties against the model and in its favour. */
    public static CaptionReport captions(Embedder model, List<Item> items) {
        List<Item> captioned = items.stream().filter(Item::captioned).toList();
        if (captioned.isEmpty()) {
            throw new IllegalArgumentException("no captioned images to evaluate");
        }
        float[][] images = model.images(captioned).stream().map(ImageEmbedding::vector).toArray(float[][]::new);
        List<String> texts = new ArrayList<>();
        List<Integer> owner = new ArrayList<>();
        for (int i = 0; i < captioned.size(); i++) {
            for (String t : captioned.get(i).texts()) {
                texts.add(t);
                owner.add(i);
            }
        }
        float[][] captions = model.texts(texts);
        int[] captionImage = owner.stream().mapToInt(Integer::intValue).toArray();
        return new CaptionReport(RetrievalMetrics.karpathy(images, captions, captionImage, RetrievalMetrics.Ties.AGAINST),
                RetrievalMetrics.karpathy(images, captions, captionImage, RetrievalMetrics.Ties.IN_FAVOUR));
    }

    /** Class-level retrieval and zero-shot accuracy over labelled items, with both sets of queries. */
    public static ClassReport classes(Embedder model, List<Item> items) {
        ClassMetrics.ClassLevel seen = classes(model, items, ClassDescriptions::orGeneric);
        boolean prompts = seen.classes().stream().allMatch(c -> ClassDescriptions.evaluationPrompts(c).isPresent());
        return new ClassReport(seen, prompts ? classes(model, items, c -> ClassDescriptions.evaluationPrompts(c).orElseThrow()) : null);
    }

    /** Class-level figures with the given queries per class. */
    public static ClassMetrics.ClassLevel classes(Embedder model, List<Item> items, Function<String, List<String>> prompts) {
        List<Item> labelled = items.stream().filter(i -> i.label() != null).toList();
        if (labelled.isEmpty()) {
            throw new IllegalArgumentException("no labelled images to evaluate");
        }
        TreeSet<String> present = new TreeSet<>();
        labelled.forEach(i -> present.add(i.label()));
        List<String> classes = List.copyOf(present);
        float[][] queries = new float[classes.size()][];
        for (int c = 0; c < classes.size(); c++) {
            queries[c] = meanDirection(model.texts(prompts.apply(classes.get(c))));
        }
        int[] labels = labelled.stream().mapToInt(i -> classes.indexOf(i.label())).toArray();
        float[][] images = model.images(labelled).stream().map(ImageEmbedding::vector).toArray(float[][]::new);
        return ClassMetrics.evaluate(images, labels, queries, classes);
    }

    /**
     * Scene-classification accuracy of the instruction encoder (its own probabilities), in percent, over the items
     * whose label is one of the model's classes; empty when there are none.
     */
    public static Optional<Double> instructionAccuracy(Embedder model, List<Item> items) {
        List<String> classes = model.sceneClasses();
        List<Item> labelled = items.stream().filter(i -> i.label() != null && classes.contains(i.label())).toList();
        if (labelled.isEmpty()) {
            return Optional.empty();
        }
        List<ImageEmbedding> e = model.images(labelled);
        int correct = 0;
        for (int i = 0; i < labelled.size(); i++) {
            correct += classes.get(argmax(e.get(i).sceneProbabilities())).equals(labelled.get(i).label()) ? 1 : 0;
        }
        return Optional.of(round(100.0 * correct / labelled.size()));
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

    /** JSON-friendly map of recall figures, keys suffixed. */
    public static Map<String, Object> toMap(RetrievalMetrics.Recall r, String suffix) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("i2t_R@1" + suffix, round(r.imageToText()[0]));
        m.put("i2t_R@5" + suffix, round(r.imageToText()[1]));
        m.put("i2t_R@10" + suffix, round(r.imageToText()[2]));
        m.put("t2i_R@1" + suffix, round(r.textToImage()[0]));
        m.put("t2i_R@5" + suffix, round(r.textToImage()[1]));
        m.put("t2i_R@10" + suffix, round(r.textToImage()[2]));
        m.put("mR" + suffix, round(r.meanRecall()));
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
