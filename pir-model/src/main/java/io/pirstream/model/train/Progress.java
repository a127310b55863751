package io.pirstream.model.train;

import java.io.PrintStream;
import java.util.Locale;

/** A text progress bar with loss and throughput, printed as lines (it goes to log files too). */
final class Progress {

    private final PrintStream out;
    private final String title;
    private final int total;
    private final int every;
    private final long start = System.nanoTime();
    private double lossSum;
    private int lossCount;
    private long samples;

    Progress(PrintStream out, String title, int total) {
        this.out = out;
        this.title = title;
        this.total = total;
        this.every = Math.max(1, total / 10);
    }

    void step(int done, float loss, int batch) {
        if (Float.isFinite(loss)) {
            lossSum += loss;
            lossCount++;
        }
        samples += batch;
        report(done);
    }

    private void report(int done) {
        if (done % every == 0 || done == total) {
            int filled = (int) Math.round(20.0 * done / total);
            double seconds = (System.nanoTime() - start) / 1e9;
            double eta = seconds / done * (total - done);
            out.printf(Locale.ROOT, "%s [%s%s] %d/%d loss %.4f  %.1f img/s  ETA %s%n", title, "#".repeat(filled), "-".repeat(20 - filled),
                    done, total, lossSum / Math.max(1, lossCount), samples / Math.max(1e-9, seconds), duration(eta));
            out.flush();
            lossSum = 0;
            lossCount = 0;
        }
    }

    /** {@code 1h02m}, {@code 4m05s} or {@code 12s}. */
    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s >= 3600) {
            return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
        }
        return s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
    }

    double seconds() {
        return (System.nanoTime() - start) / 1e9;
    }

    double throughput() {
        return samples / Math.max(1e-9, seconds());
    }
}
