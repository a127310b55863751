package io.pirstream.query.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pirstream.schemas.avro.Embedding;
import io.pirstream.schemas.avro.GeoBounds;
import io.pirstream.schemas.avro.PixelWindow;
import io.pirstream.schemas.avro.Source;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VectorIndexTest {

    static Embedding embedding(String id, float x, float y, GeoBounds geo) {
        float norm = (float) Math.sqrt(x * x + y * y);
        return Embedding.newBuilder().setChipId(id).setModelVersion("v").setVector(List.of(x / norm, y / norm, 0f))
                .setSceneProbabilities(List.of()).setTopScene("t").setSceneId("s").setWindow(new PixelWindow(0, 0, 1, 1))
                .setSource(Source.DRONE).setPlatform("p").setCapturedAt(Instant.parse("2026-01-01T00:00:00Z"))
                .setEmbeddedAt(Instant.now()).setGeo(geo).setThumbnail(ByteBuffer.wrap(new byte[] {1})).build();
    }

    @Test
    void ranksByCosineReplacesByIdAndSurvivesAReopen(@TempDir Path dir) {
        try (VectorIndex index = VectorIndex.open(dir, 3, 10)) {
            index.upsert(embedding("east", 1, 0, null));
            index.upsert(embedding("north", 0, 1, null));
            index.upsert(embedding("north-east", 1, 1, null));
            index.upsert(embedding("north", 0, 1, new GeoBounds(1.0, 1.0, 2.0, 2.0))); // replaces, does not add
            index.refresh();

            List<Hit> hits = index.search(new float[] {1, 0, 0}, 3, SearchFilters.NONE);
            assertThat(hits).as("ranked by cosine").extracting(h -> h.embedding().getChipId())
                    .containsExactly("east", "north-east", "north");
            assertThat(hits.get(1).score()).as("cosine of 45 degrees").isCloseTo(0.7071f, org.assertj.core.data.Offset.offset(1e-3f));
            assertThat(index.size()).as("replaced, not duplicated").isEqualTo(3);
            index.delete("east");
            index.commit();
        }
        try (VectorIndex reopened = VectorIndex.open(dir, 3, 10)) {
            assertThat(reopened.size()).as("chips after reopening").isEqualTo(2);
            assertThat(reopened.get("north")).as("replaced record kept").get()
                    .satisfies(e -> assertThat(e.getGeo()).isNotNull());
            assertThat(reopened.get("east")).as("deleted chip stays deleted").isEmpty();
        }
    }

    @Test
    void bboxFilterKeepsOverlappingChipsOnly() {
        try (VectorIndex index = VectorIndex.open(null, 3, 10)) {
            index.upsert(embedding("inside", 1, 0, new GeoBounds(10.0, 50.0, 10.1, 50.1)));
            index.upsert(embedding("overlapping", 1, 0, new GeoBounds(9.9, 49.9, 10.01, 50.01)));
            index.upsert(embedding("outside", 1, 0, new GeoBounds(20.0, 10.0, 20.1, 10.1)));
            index.upsert(embedding("nowhere", 1, 0, null));
            index.refresh();
            var filters = new SearchFilters(null, null, new GeoBounds(10.0, 50.0, 11.0, 51.0), null, null, null);
            assertThat(index.search(new float[] {1, 0, 0}, 10, filters)).as("overlapping chips")
                    .extracting(h -> h.embedding().getChipId()).containsExactlyInAnyOrder("inside", "overlapping");
        }
    }

    @Test
    void wrongDimensionIsRefused() {
        try (VectorIndex index = VectorIndex.open(null, 3, 10)) {
            Embedding twoDimensional = Embedding.newBuilder(embedding("x", 1, 0, null)).setVector(List.of(1f, 0f)).build();
            assertThatThrownBy(() -> index.upsert(twoDimensional)).as("2-d vector in a 3-d index")
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has 2 dimensions");
        }
    }
}
