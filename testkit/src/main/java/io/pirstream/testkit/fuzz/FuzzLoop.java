package io.pirstream.testkit.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * Runs a target on mutated inputs for a fixed time. A finding is an input on which the target throws anything its
 * contract does not allow (an unexpected exception, an {@link Error} such as running out of memory or stack), or
 * runs longer than the hang limit. Each finding is saved, with its cause, so it can become a regression test.
 */
public final class FuzzLoop {

    /** The code under test; returns normally or throws. */
    @FunctionalInterface
    public interface Target {
        void run(byte[] input) throws Exception;
    }

    /** One failing input. */
    public record Finding(String name, byte[] input, String cause) {
    }

    /** What a run did. */
    public record Report(String target, long seed, long inputs, Duration elapsed, List<Finding> findings) {
        /** One line for logs and RELIABILITY.md. */
        public String summary() {
            return String.format(Locale.ROOT, "%s: %,d inputs in %d s (seed %d), %d finding(s)", target, inputs,
                    elapsed.toSeconds(), seed, findings.size());
        }
    }

    private FuzzLoop() {
    }

    /**
     * @param allowed exceptions the target may throw on bad input (its documented refusals)
     * @param hangLimit longest a single input may run
     * @param saveTo folder for findings ({@code <target>-<n>.bin} and {@code .txt} with the cause)
     */
    public static Report run(String target, Mutator inputs, long seed, Duration duration, Duration hangLimit,
                             Target code, Predicate<Throwable> allowed, Path saveTo) {
        ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "fuzz-" + target);
            thread.setDaemon(true);
            return thread;
        });
        List<Finding> findings = new ArrayList<>();
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        long tried = 0;
        try {
            while (System.nanoTime() < end) {
                byte[] input = inputs.next();
                tried++;
                Future<?> result = worker.submit(() -> {
                    code.run(input);
                    return null;
                });
                String cause = null;
                try {
                    result.get(hangLimit.toMillis(), TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    if (!allowed.test(e.getCause())) {
                        cause = e.getCause().toString();
                    }
                } catch (TimeoutException e) {
                    cause = "ran longer than " + hangLimit;
                    result.cancel(true);
                    worker.shutdownNow();
                    worker = Executors.newSingleThreadExecutor(); // the hung thread may never return
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                if (cause != null) {
                    findings.add(save(saveTo, target + "-" + findings.size(), input, cause));
                }
            }
        } finally {
            worker.shutdownNow();
        }
        return new Report(target, seed, tried, Duration.ofNanos(System.nanoTime() - start), findings);
    }

    private static Finding save(Path folder, String name, byte[] input, String cause) {
        try {
            Files.createDirectories(folder);
            Files.write(folder.resolve(name + ".bin"), input);
            Files.writeString(folder.resolve(name + ".txt"), cause + System.lineSeparator() + "first bytes: "
                    + HexFormat.of().formatHex(input, 0, Math.min(32, input.length)) + System.lineSeparator());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save finding " + name, e);
        }
        return new Finding(name, input, cause);
    }
}
