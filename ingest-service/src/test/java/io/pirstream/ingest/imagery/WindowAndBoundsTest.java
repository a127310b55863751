package io.pirstream.ingest.imagery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class WindowAndBoundsTest {

    @Test
    void pixelWindowEdgesAndValidation() {
        PixelWindow w = new PixelWindow(10, 20, 30, 40);
        assertThat(w.right()).as("right = x + width").isEqualTo(40);
        assertThat(w.bottom()).as("bottom = y + height").isEqualTo(60);
        assertThat(w.fitsIn(40, 60)).as("fits exactly").isTrue();
        assertThat(w.fitsIn(39, 60)).as("one column too narrow").isFalse();
        assertThatThrownBy(() -> new PixelWindow(-1, 0, 1, 1)).as("negative x").isInstanceOf(IllegalArgumentException.class).hasMessageContaining("x=-1");
        assertThatThrownBy(() -> new PixelWindow(0, 0, 0, 1)).as("zero width").isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 x 1");
    }

    @Test
    void geoBoundsAcceptsTheWholeWorld() {
        GeoBounds world = new GeoBounds(-180, -90, 180, 90);
        assertThat(world.west()).as("west").isEqualTo(-180);
        assertThat(new GeoBounds(5, 5, 5, 5).north()).as("a point is a valid box").isEqualTo(5);
    }

    @Test
    void geoBoundsRejectsOutOfRangeAndInvertedBoxes() {
        assertThatThrownBy(() -> new GeoBounds(-181, 0, 0, 1)).as("west < -180")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("west must be a number in -180..180 degrees, got -181.0");
        assertThatThrownBy(() -> new GeoBounds(0, 0, 1, 90.5)).as("north > 90")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("north").hasMessageContaining("-90..90");
        assertThatThrownBy(() -> new GeoBounds(0, Double.NaN, 1, 1)).as("NaN south")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("south");
        assertThatThrownBy(() -> new GeoBounds(10, 0, 5, 1)).as("west > east")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("west (10.0) must not be greater than east (5.0)");
        assertThatThrownBy(() -> new GeoBounds(0, 2, 1, 1)).as("south > north")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("south (2.0) must not be greater than north (1.0)");
    }
}
