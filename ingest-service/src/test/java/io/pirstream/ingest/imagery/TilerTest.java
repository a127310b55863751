package io.pirstream.ingest.imagery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TilerTest {

    @Test
    void scene1000x600AtChip256Overlap32() {
        // step 224; x starts 0, 224, 448, 672 and the last one moved back to 1000 - 256 = 744;
        // y starts 0, 224 and the last one moved back to 600 - 256 = 344.
        List<PixelWindow> windows = new Tiler(256, 32).windows(1000, 600);
        int[] xs = {0, 224, 448, 672, 744};
        int[] ys = {0, 224, 344};
        assertThat(windows).as("5 columns x 3 rows").hasSize(15);
        int i = 0;
        for (int y : ys) {
            for (int x : xs) {
                assertThat(windows.get(i)).as("window %d in row-major order", i).isEqualTo(new PixelWindow(x, y, 256, 256));
                i++;
            }
        }
    }

    @Test
    void exactMultipleWithoutOverlapHasNoShiftedChip() {
        List<PixelWindow> windows = new Tiler(256, 0).windows(512, 768);
        assertThat(windows).as("2 x 3 chips edge to edge").containsExactly(
                new PixelWindow(0, 0, 256, 256), new PixelWindow(256, 0, 256, 256),
                new PixelWindow(0, 256, 256, 256), new PixelWindow(256, 256, 256, 256),
                new PixelWindow(0, 512, 256, 256), new PixelWindow(256, 512, 256, 256));
    }

    @Test
    void noOverlapNonMultipleShiftsOnlyTheLastChip() {
        assertThat(new Tiler(256, 0).starts(600)).as("600 px: 0, 256 and the last chip ending at 600").containsExactly(0, 256, 344);
    }

    @Test
    void exactlyOneChipSize() {
        assertThat(new Tiler(256, 32).windows(256, 256)).as("one full chip").containsExactly(new PixelWindow(0, 0, 256, 256));
        assertThat(new Tiler(256, 32).starts(257)).as("one pixel more: a second chip shifted by 1").containsExactly(0, 1);
        assertThat(new Tiler(256, 32).starts(480)).as("ends exactly at step + size").containsExactly(0, 224);
    }

    @Test
    void imageSmallerThanChipGivesOneChipOfTheImageSize() {
        assertThat(new Tiler(256, 32).windows(100, 80)).as("one undersized chip").containsExactly(new PixelWindow(0, 0, 100, 80));
        assertThat(new Tiler(256, 32).windows(100, 300)).as("narrow but tall: full height chips, image width")
                .containsExactly(new PixelWindow(0, 0, 100, 256), new PixelWindow(0, 44, 100, 256));
    }

    @Test
    void windowsCoverEveryPixelAndCountMatches() {
        Tiler tiler = new Tiler(64, 16);
        for (int w : new int[] {1, 63, 64, 65, 111, 112, 113, 300}) {
            for (int h : new int[] {1, 64, 97, 200}) {
                List<PixelWindow> windows = tiler.windows(w, h);
                assertThat(tiler.chipCount(w, h)).as("chipCount for %d x %d", w, h).isEqualTo(windows.size());
                boolean[][] covered = new boolean[h][w];
                for (PixelWindow win : windows) {
                    assertThat(win.fitsIn(w, h)).as("window %s inside %d x %d", win, w, h).isTrue();
                    assertThat(win.width()).as("width of %s in %d x %d", win, w, h).isEqualTo(Math.min(64, w));
                    assertThat(win.height()).as("height of %s in %d x %d", win, w, h).isEqualTo(Math.min(64, h));
                    for (int y = win.y(); y < win.bottom(); y++) {
                        for (int x = win.x(); x < win.right(); x++) {
                            covered[y][x] = true;
                        }
                    }
                }
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        assertThat(covered[y][x]).as("pixel (%d, %d) of %d x %d covered", x, y, w, h).isTrue();
                    }
                }
            }
        }
    }

    @Test
    void largeSceneCountIsComputedWithoutBuildingWindows() {
        // 10000 px: starts 0, 224, ..., 9632 (44 of them) then 9744: 45 per side.
        assertThat(new Tiler(256, 32).chipCount(10_000, 10_000)).as("10k x 10k at 256/32").isEqualTo(45L * 45L);
    }

    @Test
    void invalidArgumentsAreRejectedWithTheirName() {
        assertThatThrownBy(() -> new Tiler(0, 0)).as("zero chip size")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("chipSize");
        assertThatThrownBy(() -> new Tiler(256, -1)).as("negative overlap")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlap");
        assertThatThrownBy(() -> new Tiler(256, 256)).as("overlap equal to chip size")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlap must be in 0..255");
        assertThatThrownBy(() -> new Tiler(256, 32).windows(0, 10)).as("empty image")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 x 10");
    }
}
