package io.pirstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pirstream.schemas.avro.ModelRelease;
import io.pirstream.schemas.avro.ReleaseStatus;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelReleasesTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static ModelRelease release(String version, ReleaseStatus status) {
        return ModelReleases.copy(ModelReleases.genesis(version, "file:/models/" + version, "ab", List.of("x"), T0))
                .setStatus(status).build();
    }

    private static ModelReleases.Snapshot snapshot(ModelRelease... releases) {
        return ModelReleases.Snapshot.empty().with(List.of(releases));
    }

    @Test
    void promotionMakesTheTargetActiveAndKeepsThePreviousLiveForRollback() {
        ModelReleases.Snapshot before = snapshot(release("v1", ReleaseStatus.ACTIVE), release("v2", ReleaseStatus.CANDIDATE));

        ModelReleases.Snapshot after = before.with(ModelReleases.promote(before, "v2", T0.plusSeconds(60)));

        assertThat(after.active()).map(ModelRelease::getVersion).contains("v2");
        assertThat(after.get("v2").orElseThrow().getReplaces()).isEqualTo("v1");
        assertThat(after.get("v1").orElseThrow().getStatus()).isEqualTo(ReleaseStatus.SHADOW);
        assertThat(after.live()).extracting(ModelRelease::getVersion).containsExactly("v2", "v1");

        ModelReleases.Snapshot rolledBack = after.with(ModelReleases.rollback(after, T0.plusSeconds(120)));
        assertThat(rolledBack.active()).map(ModelRelease::getVersion).contains("v1");
        assertThat(rolledBack.get("v2").orElseThrow().getStatus()).isEqualTo(ReleaseStatus.SHADOW);
        assertThat(rolledBack.get("v1").orElseThrow().getReplaces()).as("a rollback is not a promotion").isNull();
    }

    @Test
    void transitionsThatCannotWorkAreRefusedWithTheReason() {
        ModelRelease refused = ModelReleases.copy(release("bad", ReleaseStatus.REFUSED))
                .setRefusal("rsicd mR fell 3.1 points").build();
        ModelReleases.Snapshot releases = snapshot(release("v1", ReleaseStatus.ACTIVE), refused,
                release("old", ReleaseStatus.RETIRED));

        assertThatThrownBy(() -> ModelReleases.promote(releases, "nope", T0)).hasMessageContaining("no release nope")
                .hasMessageContaining("known: bad, old, v1");
        assertThatThrownBy(() -> ModelReleases.promote(releases, "bad", T0)).hasMessageContaining("failed validation")
                .hasMessageContaining("rsicd mR fell");
        assertThatThrownBy(() -> ModelReleases.promote(releases, "old", T0)).hasMessageContaining("retired");
        assertThatThrownBy(() -> ModelReleases.promote(releases, "v1", T0)).hasMessageContaining("already active");
        assertThatThrownBy(() -> ModelReleases.retire(releases, "v1", T0)).hasMessageContaining("is active");
        assertThatThrownBy(() -> ModelReleases.rollback(releases, T0)).hasMessageContaining("nothing to roll back");
        assertThat(ModelReleases.retire(releases, "bad", T0)).singleElement()
                .extracting(ModelRelease::getStatus).isEqualTo(ReleaseStatus.RETIRED);
    }

    @Test
    void withoutAnActiveReleaseNothingIsLive() {
        assertThat(ModelReleases.Snapshot.empty().active()).isEmpty();
        assertThat(snapshot(release("c", ReleaseStatus.CANDIDATE)).live()).isEmpty();
    }
}
