package io.pirstream.model.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ValidationGateTest {

    @Test
    void aDropWithinTheToleranceIsAccepted() {
        ValidationGate.Decision d = ValidationGate.decide(Map.of("synthetic.mR", 30.0), Map.of("synthetic.mR", 28.5), Map.of(), 2.0);
        assertThat(d.accepted()).as("1.5 points down, 2 allowed").isTrue();
    }

    @Test
    void aDropBeyondTheToleranceIsRefusedWithTheMetricNamed() {
        ValidationGate.Decision d = ValidationGate.decide(Map.of("synthetic.mR", 30.0, "rsicd.mR", 16.0),
                Map.of("synthetic.mR", 27.0, "rsicd.mR", 17.0), Map.of(), 2.0);
        assertThat(d.accepted()).as("3 points down").isFalse();
        assertThat(d.reason()).as("names the metric and the values").contains("synthetic.mR fell 3.00 points (30.00 -> 27.00")
                .doesNotContain("rsicd");
    }

    @Test
    void aMetricOverFewCasesMayMoveByOneCase() {
        ValidationGate.Decision d = ValidationGate.decide(Map.of("feedback.heldout.R@10", 50.0), Map.of("feedback.heldout.R@10", 37.5),
                Map.of("feedback.heldout.R@10", 8), 2.0);
        assertThat(d.accepted()).as("one of 8 held-out judgements flipped").isTrue();
    }

    @Test
    void aNegativeToleranceDemandsImprovement() {
        ValidationGate.Decision d = ValidationGate.decide(Map.of("feedback.heldout.R@10", 50.0), Map.of("feedback.heldout.R@10", 55.0),
                Map.of("feedback.heldout.R@10", 8), -10.0);
        assertThat(d.accepted()).as("5 points up, 10 demanded").isFalse();
    }

    @Test
    void metricsOnlyOneSideHasAreNotCompared() {
        assertThat(ValidationGate.decide(Map.of("rsicd.mR", 16.0), Map.of("synthetic.mR", 1.0), Map.of(), 0.0).accepted())
                .as("nothing in common, nothing regressed").isTrue();
    }
}
