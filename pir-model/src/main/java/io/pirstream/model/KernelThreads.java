package io.pirstream.model;

/**
 * How many threads the model's native kernels use: PyTorch's intra-op pool (the networks) and ONNX Runtime's (the
 * frozen MiniLM token encoder). One setting for both, read once per process when the engines start, so set it before
 * the first model loads.
 *
 * <p>Fewer threads than cores is often faster: a process that shares its cores with others (the embedded default runs
 * the broker and three services on one machine) loses more to its kernel threads waiting at each small operation's
 * barrier for a thread that another process holds than it gains from splitting the work (BENCHMARKS.md, "Search
 * under load").
 */
public final class KernelThreads {

    /** The system property DJL reads for PyTorch's intra-op threads; it also sets ONNX Runtime's here. */
    public static final String PROPERTY = "ai.djl.pytorch.num_threads";

    private KernelThreads() {
    }

    /**
     * Uses {@code threads} kernel threads in this process (and one inter-op thread: the callers run one model call at
     * a time per model). Takes effect for engines not started yet.
     *
     * @throws IllegalArgumentException when {@code threads} is less than 1
     */
    public static void use(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("kernel threads must be at least 1: " + threads);
        }
        System.setProperty(PROPERTY, String.valueOf(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }

    /** The kernel threads set by {@link #use}, else one per core. */
    public static int current() {
        String value = System.getProperty(PROPERTY);
        if (value != null) {
            try {
                return Math.max(1, Integer.parseInt(value.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(PROPERTY + " must be a whole number of threads: '" + value + "'", e);
            }
        }
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }
}
