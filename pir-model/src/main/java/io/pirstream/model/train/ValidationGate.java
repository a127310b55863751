package io.pirstream.model.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Decides whether a candidate may be released: no validation metric may fall more than the tolerance below its
 * parent's value. Every metric is "higher is better", in points (percent). A metric measured over few cases moves in
 * steps of {@code 100 / cases} points, so with a non-negative tolerance its allowance is at least one case: a
 * held-out slice of 8 judgements must not refuse a candidate for one judgement flipping.
 */
public final class ValidationGate {

    /**
     * The verdict.
     *
     * @param accepted whether no metric regressed beyond its allowance
     * @param regressions one line per metric that did, e.g. {@code synthetic.mR fell 3.10 points (30.98 -> 27.88;
     *     allowed 2.00)}; empty when accepted
     */
    public record Decision(boolean accepted, List<String> regressions) {
        public Decision {
            regressions = List.copyOf(regressions);
        }

        /** The regressions as one sentence (the release's refusal). */
        public String reason() {
            return accepted ? "" : "validation regressed: " + String.join("; ", regressions);
        }
    }

    private ValidationGate() {
    }

    /**
     * Compares the metrics both sides have.
     *
     * @param parent metrics of the parent, in points
     * @param candidate metrics of the candidate, in points
     * @param cases per metric, how many cases it is measured over (absent: many)
     * @param tolerancePoints largest allowed drop; negative: every metric must rise by that much
     */
    public static Decision decide(Map<String, Double> parent, Map<String, Double> candidate, Map<String, Integer> cases,
            double tolerancePoints) {
        Objects.requireNonNull(parent, "parent metrics must not be null");
        Objects.requireNonNull(candidate, "candidate metrics must not be null");
        List<String> regressions = new ArrayList<>();
        for (Map.Entry<String, Double> e : new TreeMap<>(parent).entrySet()) {
            Double after = candidate.get(e.getKey());
            if (after == null) {
                continue;
            }
            int n = cases.getOrDefault(e.getKey(), 0);
            double allowed = tolerancePoints >= 0 && n > 0 ? Math.max(tolerancePoints, 100.0 / n) : tolerancePoints;
            double drop = e.getValue() - after;
            if (drop > allowed + 1e-9) {
                regressions.add(String.format(Locale.ROOT, "%s fell %.2f points (%.2f -> %.2f; allowed %.2f)", e.getKey(), drop,
                        e.getValue(), after, allowed));
            }
        }
        return new Decision(regressions.isEmpty(), regressions);
    }
}
