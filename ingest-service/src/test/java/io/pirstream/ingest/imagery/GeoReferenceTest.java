package io.pirstream.ingest.imagery;

import static io.pirstream.testkit.imagery.GeoTiffWriter.RASTER_PIXEL_IS_AREA;
import static io.pirstream.testkit.imagery.GeoTiffWriter.RASTER_PIXEL_IS_POINT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.pirstream.imagery.DecodedImage;
import io.pirstream.imagery.ImageDecoder;
import io.pirstream.imagery.ImageLimits;
import io.pirstream.imagery.ImageRejectedException;
import io.pirstream.testkit.imagery.GeoTiffWriter;
import io.pirstream.testkit.imagery.TestImagery;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;

class GeoReferenceTest {

    private static final double EPS = 1e-9;
    private static final BufferedImage SCENE = TestImagery.image(1000, 600, 3);

    @Test
    void aGeoTiffDecodedByTheImageDecoderKeepsItsGeoreference() throws ImageRejectedException {
        DecodedImage geo = new ImageDecoder(ImageLimits.DEFAULTS).decode(TestImagery.geoTiff(TestImagery.image(120, 90, 11),
                10, 50, 0.001, 0.001));
        assertThat(GeoReference.of(geo).hasBounds()).as("EPSG:4326 GeoTIFF has bounds").isTrue();
        assertThat(GeoReference.of(geo).bounds(PixelWindow.whole(120, 90)).east()).as("east edge")
                .isCloseTo(10.12, within(EPS));
    }

    @Test
    void aPngHasNoGeoreference() throws ImageRejectedException {
        DecodedImage png = new ImageDecoder(ImageLimits.DEFAULTS).decode(TestImagery.png(TestImagery.image(40, 30, 11)));
        assertThat(GeoReference.of(png).kind()).as("png has no georeference").isEqualTo(GeoReference.Kind.NONE);
    }

    @Test
    void pixelIsAreaBoundsOfFirstAndEdgeChips() throws IOException {
        // Top-left corner at (10 E, 50 N), pixels 0.001 deg wide and 0.0005 deg tall.
        GeoReference geo = read(TestImagery.geoTiff(SCENE, 10.0, 50.0, 0.001, 0.0005));
        assertThat(geo.kind()).as("kind").isEqualTo(GeoReference.Kind.WGS84);
        assertThat(geo.crs()).as("crs").contains("EPSG:4326");

        // First chip (0, 0, 256, 256): east = 10 + 256 * 0.001, south = 50 - 256 * 0.0005.
        assertBounds(geo.bounds(new PixelWindow(0, 0, 256, 256)), 10.0, 49.872, 10.256, 50.0);
        // Edge chip of the 256/32 tiling, (744, 344): it ends at the image's east and south edges.
        assertBounds(geo.bounds(new PixelWindow(744, 344, 256, 256)), 10.744, 49.7, 11.0, 49.828);
        // Whole scene: 1000 px = 1 deg of longitude, 600 px = 0.3 deg of latitude.
        assertBounds(geo.bounds(PixelWindow.whole(1000, 600)), 10.0, 49.7, 11.0, 50.0);
    }

    @Test
    void pixelIsPointShiftsHalfAPixelWestAndNorth() throws IOException {
        // The tiepoint names the centre of pixel (0, 0), so its corner is 0.0005 deg west, 0.00025 deg north.
        byte[] tiff = GeoTiffWriter.write(SCENE, new double[] {0, 0, 0, 10.0, 50.0, 0}, new double[] {0.001, 0.0005, 0},
                GeoTiffWriter.wgs84Keys(RASTER_PIXEL_IS_POINT));
        GeoReference geo = read(tiff);
        assertBounds(geo.bounds(new PixelWindow(0, 0, 256, 256)), 9.9995, 49.87225, 10.2555, 50.00025);
    }

    @Test
    void tiepointAwayFromTheOriginIsHonoured() throws IOException {
        // Raster point (100, 50) is at (20 E, 40 N) with 0.01 deg pixels: pixel (0, 0) starts at 19 E, 40.5 N.
        byte[] tiff = GeoTiffWriter.write(SCENE, new double[] {100, 50, 0, 20.0, 40.0, 0}, new double[] {0.01, 0.01, 0},
                GeoTiffWriter.wgs84Keys(RASTER_PIXEL_IS_AREA));
        GeoReference geo = read(tiff);
        assertThat(geo.lon(0)).as("west edge").isCloseTo(19.0, within(EPS));
        assertThat(geo.lat(0)).as("north edge").isCloseTo(40.5, within(EPS));
        assertBounds(geo.bounds(new PixelWindow(100, 50, 10, 20)), 20.0, 39.8, 20.1, 40.0);
    }

    @Test
    void wgs84DatumWithoutGeographicTypeIsAccepted() throws IOException {
        int[] keys = GeoTiffWriter.geoKeys(1024, 2, 1025, 1, 2050, GeoTiffWriter.DATUM_WGS84);
        GeoReference geo = read(GeoTiffWriter.write(SCENE, new double[] {0, 0, 0, 10, 50, 0}, new double[] {0.001, 0.001, 0}, keys));
        assertThat(geo.hasBounds()).as("WGS 84 datum, user-defined geographic CRS: bounds").isTrue();
    }

    @Test
    void projectedCrsIsNamedButGivesNoBounds() throws IOException {
        GeoReference geo = read(TestImagery.geoTiffProjected(SCENE, 32633, 500_000, 4_649_776, 10, 10));
        assertThat(geo.kind()).as("kind").isEqualTo(GeoReference.Kind.UNSUPPORTED);
        assertThat(geo.crs()).as("crs").contains("EPSG:32633");
        assertThat(geo.hasBounds()).as("no bounds").isFalse();
        assertThat(geo.detail()).as("detail says why").contains("projected").contains("EPSG:4326");
        assertThatThrownBy(() -> geo.bounds(new PixelWindow(0, 0, 1, 1))).as("bounds without WGS 84")
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("projected");
    }

    @Test
    void otherGeographicDatumIsUnsupported() throws IOException {
        int[] keys = GeoTiffWriter.geoKeys(1024, 2, 1025, 1, 2048, 4269);
        GeoReference geo = read(GeoTiffWriter.write(SCENE, new double[] {0, 0, 0, -100, 40, 0}, new double[] {0.001, 0.001, 0}, keys));
        assertThat(geo.kind()).as("NAD83 is not WGS 84").isEqualTo(GeoReference.Kind.UNSUPPORTED);
        assertThat(geo.crs()).as("crs").contains("EPSG:4269");
    }

    @Test
    void plainTiffIsNotGeoreferenced() throws IOException {
        GeoReference geo = read(TestImagery.tiff(SCENE));
        assertThat(geo.kind()).as("kind").isEqualTo(GeoReference.Kind.NONE);
        assertThat(geo.crs()).as("crs").isEmpty();
    }

    @Test
    void tiepointWithoutGeoKeysHasUnknownCrs() throws IOException {
        GeoReference geo = read(GeoTiffWriter.write(SCENE, new double[] {0, 0, 0, 10, 50, 0}, new double[] {0.001, 0.001, 0}, null));
        assertThat(geo.kind()).as("kind").isEqualTo(GeoReference.Kind.UNSUPPORTED);
        assertThat(geo.detail()).as("detail").contains("unknown");
    }

    @Test
    void southUpScaleAndGroundControlPointsAreUnsupported() throws IOException {
        int[] keys = GeoTiffWriter.wgs84Keys(RASTER_PIXEL_IS_AREA);
        GeoReference southUp = read(GeoTiffWriter.write(SCENE, new double[] {0, 0, 0, 10, 50, 0}, new double[] {0.001, -0.001, 0}, keys));
        assertThat(southUp.kind()).as("negative ScaleY").isEqualTo(GeoReference.Kind.UNSUPPORTED);
        assertThat(southUp.detail()).as("detail").contains("north-up");
        GeoReference gcps = read(GeoTiffWriter.write(SCENE,
                new double[] {0, 0, 0, 10, 50, 0, 999, 599, 0, 11, 49.7, 0}, new double[] {0.001, 0.0005, 0}, keys));
        assertThat(gcps.kind()).as("two tiepoints").isEqualTo(GeoReference.Kind.UNSUPPORTED);
        assertThat(gcps.detail()).as("detail").contains("2 tiepoints");
    }

    @Test
    void extentBeyondTheAntimeridianIsUnsupported() throws IOException {
        // 1000 px of 0.001 deg from 179.9 E ends at 180.9 E.
        GeoReference geo = read(TestImagery.geoTiff(SCENE, 179.9, 10, 0.001, 0.001));
        assertThat(geo.kind()).as("kind").isEqualTo(GeoReference.Kind.UNSUPPORTED);
        assertThat(geo.detail()).as("detail names the bad edge").contains("east");
    }

    @Test
    void globalRasterSnapsRoundingAtTheEdges() {
        GeoReference geo = GeoReference.wgs84(-180, 90, 0.1, 0.1);
        GeoBounds world = geo.bounds(PixelWindow.whole(3600, 1800));
        assertBounds(world, -180, -90, 180, 90);
        assertThat(world.east()).as("east snapped to exactly 180").isLessThanOrEqualTo(180.0);
    }

    private static void assertBounds(GeoBounds b, double west, double south, double east, double north) {
        assertThat(b.west()).as("west of %s", b).isCloseTo(west, within(EPS));
        assertThat(b.south()).as("south of %s", b).isCloseTo(south, within(EPS));
        assertThat(b.east()).as("east of %s", b).isCloseTo(east, within(EPS));
        assertThat(b.north()).as("north of %s", b).isCloseTo(north, within(EPS));
    }

    private static GeoReference read(byte[] tiff) throws IOException {
        ImageReader reader = ImageIO.getImageReadersByFormatName("tiff").next();
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(tiff))) {
            reader.setInput(in);
            return GeoReference.fromTiffMetadata(reader.getImageMetadata(0));
        } finally {
            reader.dispose();
        }
    }
}
