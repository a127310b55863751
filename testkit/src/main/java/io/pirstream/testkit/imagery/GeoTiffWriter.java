package io.pirstream.testkit.imagery;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.Objects;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOInvalidTreeException;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.plugins.tiff.TIFFDirectory;
import javax.imageio.plugins.tiff.TIFFField;
import javax.imageio.plugins.tiff.TIFFTag;
import javax.imageio.stream.ImageOutputStream;

/**
 * Writes (Geo)TIFF files with the JDK's built-in TIFF plugin, adding the GeoTIFF tags as plain TIFF
 * fields so that tests can produce any combination of tags, including broken ones.
 */
public final class GeoTiffWriter {

    /** ModelPixelScaleTag: (ScaleX, ScaleY, ScaleZ); ScaleY is positive for a north-up raster. */
    public static final int TAG_MODEL_PIXEL_SCALE = 33550;
    /** ModelTiepointTag: (I, J, K, X, Y, Z) tuples mapping raster point (I, J) to model (X, Y). */
    public static final int TAG_MODEL_TIEPOINT = 33922;
    /** ModelTransformationTag: a 4x4 affine matrix, the alternative to tiepoint + scale. */
    public static final int TAG_MODEL_TRANSFORMATION = 34264;
    /** GeoKeyDirectoryTag: header (1, 1, 0, N) followed by N entries (key, location, count, value). */
    public static final int TAG_GEO_KEY_DIRECTORY = 34735;

    /** GTModelTypeGeoKey; values {@link #MODEL_TYPE_PROJECTED} and {@link #MODEL_TYPE_GEOGRAPHIC}. */
    public static final int KEY_MODEL_TYPE = 1024;
    /** GTRasterTypeGeoKey; values {@link #RASTER_PIXEL_IS_AREA} and {@link #RASTER_PIXEL_IS_POINT}. */
    public static final int KEY_RASTER_TYPE = 1025;
    /** GeographicTypeGeoKey: the EPSG code of a geographic CRS, e.g. 4326. */
    public static final int KEY_GEOGRAPHIC_TYPE = 2048;
    /** GeogGeodeticDatumGeoKey: the EPSG datum code, e.g. 6326 for WGS 84. */
    public static final int KEY_GEODETIC_DATUM = 2050;
    /** ProjectedCSTypeGeoKey: the EPSG code of a projected CRS, e.g. 32633. */
    public static final int KEY_PROJECTED_CS_TYPE = 3072;

    public static final int MODEL_TYPE_PROJECTED = 1;
    public static final int MODEL_TYPE_GEOGRAPHIC = 2;
    public static final int RASTER_PIXEL_IS_AREA = 1;
    public static final int RASTER_PIXEL_IS_POINT = 2;
    public static final int EPSG_WGS84 = 4326;
    public static final int DATUM_WGS84 = 6326;

    private GeoTiffWriter() {}

    /** GeoKey directory for EPSG:4326 with the given raster type. */
    public static int[] wgs84Keys(int rasterType) {
        return geoKeys(
                KEY_MODEL_TYPE, MODEL_TYPE_GEOGRAPHIC,
                KEY_RASTER_TYPE, rasterType,
                KEY_GEOGRAPHIC_TYPE, EPSG_WGS84);
    }

    /** GeoKey directory for a projected CRS given by its EPSG code (e.g. 32633, UTM 33N). */
    public static int[] projectedKeys(int epsg) {
        return geoKeys(
                KEY_MODEL_TYPE, MODEL_TYPE_PROJECTED,
                KEY_RASTER_TYPE, RASTER_PIXEL_IS_AREA,
                KEY_PROJECTED_CS_TYPE, epsg);
    }

    /**
     * Builds a GeoKey directory from (key, value) pairs; every value is stored inline (location 0).
     * Keys must be given in ascending order, as the GeoTIFF specification requires.
     */
    public static int[] geoKeys(int... keyValuePairs) {
        if (keyValuePairs.length % 2 != 0) {
            throw new IllegalArgumentException("geoKeys needs (key, value) pairs, got " + keyValuePairs.length + " numbers");
        }
        int n = keyValuePairs.length / 2;
        int[] dir = new int[4 + 4 * n];
        dir[0] = 1;
        dir[1] = 1;
        dir[2] = 0;
        dir[3] = n;
        for (int i = 0; i < n; i++) {
            dir[4 + 4 * i] = keyValuePairs[2 * i];
            dir[4 + 4 * i + 1] = 0;
            dir[4 + 4 * i + 2] = 1;
            dir[4 + 4 * i + 3] = keyValuePairs[2 * i + 1];
        }
        return dir;
    }

    /**
     * Writes {@code img} as an uncompressed TIFF with the given GeoTIFF fields; any of them may be
     * null to leave that tag out (all null gives a plain TIFF).
     */
    public static byte[] write(BufferedImage img, double[] tiepoint, double[] pixelScale, int[] geoKeyDirectory) {
        Objects.requireNonNull(img, "img must not be null");
        ImageWriter writer = tiffWriter();
        try {
            ImageWriteParam param = writer.getDefaultWriteParam();
            IIOMetadata defaults = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(img), param);
            TIFFDirectory dir = TIFFDirectory.createFromMetadata(defaults);
            if (pixelScale != null) {
                dir.addTIFFField(doubles(TAG_MODEL_PIXEL_SCALE, "ModelPixelScaleTag", pixelScale));
            }
            if (tiepoint != null) {
                dir.addTIFFField(doubles(TAG_MODEL_TIEPOINT, "ModelTiepointTag", tiepoint));
            }
            if (geoKeyDirectory != null) {
                char[] shorts = new char[geoKeyDirectory.length];
                for (int i = 0; i < shorts.length; i++) {
                    shorts[i] = (char) geoKeyDirectory[i];
                }
                TIFFTag tag = new TIFFTag("GeoKeyDirectoryTag", TAG_GEO_KEY_DIRECTORY, 1 << TIFFTag.TIFF_SHORT);
                dir.addTIFFField(new TIFFField(tag, TIFFTag.TIFF_SHORT, shorts.length, shorts));
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
                writer.setOutput(ios);
                writer.write(null, new IIOImage(img, null, dir.getAsMetadata()), param);
            }
            return out.toByteArray();
        } catch (IIOInvalidTreeException e) {
            throw new IllegalStateException("TIFF metadata rejected by the TIFF plugin", e);
        } catch (IOException e) {
            throw new UncheckedIOException("writing a TIFF to memory failed", e);
        } finally {
            writer.dispose();
        }
    }

    private static TIFFField doubles(int number, String name, double[] values) {
        TIFFTag tag = new TIFFTag(name, number, 1 << TIFFTag.TIFF_DOUBLE);
        return new TIFFField(tag, TIFFTag.TIFF_DOUBLE, values.length, values.clone());
    }

    private static ImageWriter tiffWriter() {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("tiff");
        if (!writers.hasNext()) {
            throw new IllegalStateException("no TIFF ImageWriter: the JDK's javax.imageio TIFF plugin (Java 9+) is required");
        }
        return writers.next();
    }
}
