package io.pirstream.model.text;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Word-level vocabulary for the from-scratch text encoder: lower-case words split on anything that
 * is not a letter or digit. Unknown words map to {@link #UNK}, so unseen queries still embed (as
 * well as the known words in them allow).
 */
public final class WordVocabulary implements TextFeaturizer {

    /** Padding id. */
    public static final int PAD = 0;
    /** Unknown-word id. */
    public static final int UNK = 1;
    /** Class-token id, always at position 0. */
    public static final int CLS = 2;
    private static final List<String> RESERVED = List.of("[PAD]", "[UNK]", "[CLS]");

    /** Words by id. */
    private final List<String> words;
    /** Ids by word. */
    private final Map<String, Integer> ids = new HashMap<>();
    /** Maximum tokens per text including the class token. */
    private final int maxTokens;

    public WordVocabulary(List<String> words, int maxTokens) {
        if (words.size() < RESERVED.size() || !words.subList(0, RESERVED.size()).equals(RESERVED)) {
            throw new IllegalArgumentException("vocabulary must start with " + RESERVED);
        }
        this.words = List.copyOf(words);
        this.maxTokens = maxTokens;
        for (int i = 0; i < words.size(); i++) {
            ids.put(words.get(i), i);
        }
    }

    /** Builds a vocabulary of the words seen at least {@code minCount} times. */
    public static WordVocabulary build(Collection<String> texts, int minCount, int maxTokens) {
        Map<String, Integer> counts = new TreeMap<>();
        for (String text : texts) {
            for (String w : split(text)) {
                counts.merge(w, 1, Integer::sum);
            }
        }
        List<String> words = new ArrayList<>(RESERVED);
        counts.forEach((w, c) -> {
            if (c >= minCount) {
                words.add(w);
            }
        });
        return new WordVocabulary(words, maxTokens);
    }

    /** Lower-case words of a text. */
    public static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (!w.isEmpty()) {
                out.add(w);
            }
        }
        return out;
    }

    /** Words by id, reserved tokens first (for the checkpoint). */
    public List<String> words() {
        return words;
    }

    /** Ids of a text: class token, then words, truncated to {@code maxTokens}. */
    public long[] encode(String text) {
        List<String> split = split(text);
        int n = Math.min(maxTokens, split.size() + 1);
        long[] out = new long[n];
        out[0] = CLS;
        for (int i = 1; i < n; i++) {
            out[i] = ids.getOrDefault(split.get(i - 1), UNK);
        }
        return out;
    }

    @Override
    public NDList featurize(List<String> texts, NDManager manager) {
        long[][] encoded = texts.stream().map(this::encode).toArray(long[][]::new);
        int t = 1;
        for (long[] e : encoded) {
            t = Math.max(t, e.length);
        }
        long[] ids = new long[texts.size() * t];
        float[] mask = new float[texts.size() * t];
        for (int b = 0; b < encoded.length; b++) {
            for (int i = 0; i < encoded[b].length; i++) {
                ids[b * t + i] = encoded[b][i];
                mask[b * t + i] = 1f;
            }
        }
        Shape shape = new Shape(texts.size(), t);
        return new NDList(manager.create(ids, shape), manager.create(mask, shape));
    }

    @Override
    public int vocabularySize() {
        return words.size();
    }

    @Override
    public void close() {
        // nothing held
    }
}
