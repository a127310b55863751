package io.pirstream.model.text;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * Turns texts into the text tower's input: {@code [tokens, mask]}, where tokens are either
 * sentence-encoder states {@code (B, T, s)} or word ids {@code (B, T)}, and the mask is
 * {@code (B, T)} with 1 for real tokens. Token 0 is always a class token.
 */
public interface TextFeaturizer extends AutoCloseable {

    /** Featurizes a batch; the arrays belong to {@code manager}. */
    NDList featurize(List<String> texts, NDManager manager);

    /** Vocabulary size for id-based featurizers, 0 for state-based ones. */
    int vocabularySize();

    @Override
    void close();
}
