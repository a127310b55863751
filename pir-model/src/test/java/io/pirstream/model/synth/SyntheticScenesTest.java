package io.pirstream.model.synth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SyntheticScenesTest {

    @Test
    void sameSeedSameChip() {
        SyntheticScenes.Scene a = SyntheticScenes.generate(42, 64);
        SyntheticScenes.Scene b = SyntheticScenes.generate(42, 64);
        assertThat(a.image().getRGB(0, 0, 64, 64, null, 0, 64)).as("pixels").containsExactly(b.image().getRGB(0, 0, 64, 64, null, 0, 64));
        assertThat(a.captions()).as("captions").isEqualTo(b.captions());
        assertThat(a.label()).as("label").isEqualTo(b.label());
    }

    @Test
    void chipsHaveFiveCaptionsAndCoverEveryLabel() {
        Set<String> labels = new HashSet<>();
        for (int seed = 0; seed < 60; seed++) {
            SyntheticScenes.Scene s = SyntheticScenes.generate(seed, 48);
            assertThat(s.captions()).as("captions of seed %d", seed).hasSize(5).allMatch(c -> !c.isBlank());
            assertThat(s.image().getWidth()).as("size").isEqualTo(48);
            labels.add(s.label());
        }
        assertThat(labels).as("labels seen").containsExactlyInAnyOrderElementsOf(SyntheticScenes.LABELS);
    }

    @Test
    void requestedLabelIsHonouredAndValidated() {
        assertThat(SyntheticScenes.generate(3, 64, "parking").captions()).as("parking captions")
                .anyMatch(c -> c.contains("car") || c.contains("parking") || c.contains("vehicles"));
        assertThatThrownBy(() -> SyntheticScenes.generate(3, 64, "volcano")).as("unknown label").hasMessageContaining("volcano");
    }
}
