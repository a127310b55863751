package io.pirstream.ingest.imagery;

import io.pirstream.imagery.DecodedImage;
import java.util.Objects;
import java.util.Optional;
import javax.imageio.metadata.IIOInvalidTreeException;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.plugins.tiff.BaselineTIFFTagSet;
import javax.imageio.plugins.tiff.TIFFDirectory;
import javax.imageio.plugins.tiff.TIFFField;

/**
 * Where a raster lies on the earth, as far as ingest can tell from its GeoTIFF tags.
 *
 * <p>Only one case gives lon/lat bounds: a north-up raster (ModelPixelScale + a single
 * ModelTiepoint, or a ModelTransformation without rotation) in geographic WGS 84, i.e.
 * GeographicTypeGeoKey 4326, or no/user-defined GeographicType with the WGS 84 datum (6326). Every
 * other CRS (projected ones such as EPSG:32633, other datums, rotated rasters, ground control
 * points) is reported by {@link #crs()} with {@link Kind#UNSUPPORTED}, so the caller can say that
 * its chips keep pixel windows only: reprojecting is out of scope and guessing would be wrong.
 *
 * <h2>Pixel corners, PixelIsArea and PixelIsPoint</h2>
 *
 * Positions here are in <em>corner</em> coordinates: column {@code c} is the west edge of pixel
 * column {@code c}, so a window {@code (x, y, w, h)} spans columns {@code x .. x + w}. Under
 * GTRasterTypeGeoKey PixelIsArea (1, the default) a tiepoint's raster point (I, J) already is
 * the top-left corner of pixel (I, J). Under PixelIsPoint (2) it is the <em>centre</em> of that
 * pixel, half a pixel east and south of its corner, so the corner origin is shifted half a pixel
 * west and north: {@code west = X - (I + 0.5) * scaleX}, {@code north = Y + (J + 0.5) * scaleY}.
 */
public final class GeoReference {

    /** Whether, and how, a raster is georeferenced. */
    public enum Kind {
        /** No GeoTIFF tags at all (or not a TIFF). */
        NONE,
        /** North-up geographic WGS 84: {@link #bounds(PixelWindow)} works. */
        WGS84,
        /** Georeferenced, but not in a way ingest turns into lon/lat; see {@link #crs()} and {@link #detail()}. */
        UNSUPPORTED
    }

    static final int TAG_MODEL_PIXEL_SCALE = 33550;
    static final int TAG_MODEL_TIEPOINT = 33922;
    static final int TAG_MODEL_TRANSFORMATION = 34264;
    static final int TAG_GEO_KEY_DIRECTORY = 34735;

    /** Rounding slack, in degrees, when an edge lands a hair outside -180..180 or -90..90. */
    private static final double EDGE_EPSILON = 1e-9;

    private static final GeoReference NONE = new GeoReference(Kind.NONE, null, "not georeferenced", 0, 0, 0, 0);

    private final Kind kind;
    private final String crs;
    private final String detail;
    private final double westLon;
    private final double northLat;
    private final double degPerPixelX;
    private final double degPerPixelY;

    private GeoReference(Kind kind, String crs, String detail, double westLon, double northLat, double degPerPixelX, double degPerPixelY) {
        this.kind = kind;
        this.crs = crs;
        this.detail = detail;
        this.westLon = westLon;
        this.northLat = northLat;
        this.degPerPixelX = degPerPixelX;
        this.degPerPixelY = degPerPixelY;
    }

    /** A raster without georeferencing. */
    public static GeoReference none() {
        return NONE;
    }

    /**
     * A north-up WGS 84 raster whose pixel (0, 0) has its top-left corner at ({@code westLon},
     * {@code northLat}) and whose pixels are {@code degPerPixelX} by {@code degPerPixelY} degrees.
     */
    public static GeoReference wgs84(double westLon, double northLat, double degPerPixelX, double degPerPixelY) {
        if (!(degPerPixelX > 0) || !(degPerPixelY > 0) || !Double.isFinite(degPerPixelX) || !Double.isFinite(degPerPixelY)) {
            throw new IllegalArgumentException("pixel size must be positive and finite, got " + degPerPixelX + " x " + degPerPixelY + " degrees");
        }
        if (!Double.isFinite(westLon) || !Double.isFinite(northLat)) {
            throw new IllegalArgumentException("origin must be finite, got " + westLon + ", " + northLat);
        }
        return new GeoReference(Kind.WGS84, "EPSG:4326", "north-up geographic WGS 84", westLon, northLat, degPerPixelX, degPerPixelY);
    }

    static GeoReference unsupported(String crs, String detail) {
        return new GeoReference(Kind.UNSUPPORTED, crs, detail, 0, 0, 0, 0);
    }

    /** Reads the GeoTIFF tags of TIFF image metadata (as returned by the TIFF ImageReader). */
    /** The georeferencing of a decoded image: from its GeoTIFF tags, {@link #none()} for JPEG, PNG and plain TIFF. */
    public static GeoReference of(DecodedImage image) {
        return image.tiffMetadata().map(GeoReference::fromTiffMetadata).orElse(none());
    }

    public static GeoReference fromTiffMetadata(IIOMetadata metadata) {
        Objects.requireNonNull(metadata, "metadata must not be null");
        try {
            return fromTiffDirectory(TIFFDirectory.createFromMetadata(metadata));
        } catch (IIOInvalidTreeException e) {
            return unsupported(null, "TIFF metadata could not be read: " + e.getMessage());
        }
    }

    /**
     * Reads the GeoTIFF tags of one TIFF image directory.
     *
     * <p>1. no GeoTIFF tags: {@link #none()}; 2. parse the GeoKeys and name the CRS; 3. anything but
     * WGS 84 geographic: unsupported, naming the CRS; 4. build the affine from tiepoint + scale (or a
     * rotation-free transformation matrix), applying the PixelIsPoint shift; 5. check that the whole
     * raster lies within -180..180 / -90..90.
     */
    public static GeoReference fromTiffDirectory(TIFFDirectory dir) {
        Objects.requireNonNull(dir, "dir must not be null");
        double[] tiepoint = doubles(dir, TAG_MODEL_TIEPOINT);
        double[] scale = doubles(dir, TAG_MODEL_PIXEL_SCALE);
        double[] transform = doubles(dir, TAG_MODEL_TRANSFORMATION);
        TIFFField keyField = dir.getTIFFField(TAG_GEO_KEY_DIRECTORY);
        if (tiepoint == null && scale == null && transform == null && keyField == null) {
            return NONE;
        }

        GeoKeys keys;
        try {
            keys = keyField == null ? GeoKeys.empty() : GeoKeys.parse(ints(keyField));
        } catch (IllegalArgumentException e) {
            return unsupported(null, e.getMessage());
        }
        Optional<String> crsProblem = crsProblem(keys);
        if (crsProblem.isPresent()) {
            return unsupported(crsName(keys), crsProblem.get());
        }

        GeoReference geo = affine(tiepoint, scale, transform, keys.get(GeoKeys.RASTER_TYPE).orElse(GeoKeys.RASTER_PIXEL_IS_AREA));
        if (geo.kind != Kind.WGS84) {
            return geo;
        }
        int width = intField(dir, BaselineTIFFTagSet.TAG_IMAGE_WIDTH);
        int height = intField(dir, BaselineTIFFTagSet.TAG_IMAGE_LENGTH);
        if (width > 0 && height > 0) {
            try {
                geo.bounds(PixelWindow.whole(width, height));
            } catch (IllegalArgumentException e) {
                return unsupported("EPSG:4326", "the raster's extent is not a valid lon/lat box: " + e.getMessage());
            }
        }
        return geo;
    }

    /** Empty when the keys describe geographic WGS 84; otherwise why they do not. */
    private static Optional<String> crsProblem(GeoKeys keys) {
        if (keys.isEmpty()) {
            return Optional.of("no GeoKeyDirectoryTag, so the coordinate reference system is unknown");
        }
        int modelType = keys.get(GeoKeys.MODEL_TYPE).orElse(
                keys.get(GeoKeys.PROJECTED_CS_TYPE).isPresent() ? GeoKeys.MODEL_TYPE_PROJECTED
                        : keys.get(GeoKeys.GEOGRAPHIC_TYPE).isPresent() ? GeoKeys.MODEL_TYPE_GEOGRAPHIC : 0);
        if (modelType == GeoKeys.MODEL_TYPE_PROJECTED) {
            return Optional.of("projected coordinates; only geographic EPSG:4326 (WGS 84 lon/lat) gives chip bounds");
        }
        if (modelType != GeoKeys.MODEL_TYPE_GEOGRAPHIC) {
            return Optional.of("GTModelTypeGeoKey " + (modelType == 0 ? "missing" : modelType)
                    + "; only geographic EPSG:4326 (WGS 84 lon/lat) gives chip bounds");
        }
        int geographic = keys.get(GeoKeys.GEOGRAPHIC_TYPE).orElse(GeoKeys.USER_DEFINED);
        boolean wgs84 = geographic == GeoKeys.EPSG_WGS84
                || (geographic == GeoKeys.USER_DEFINED && keys.get(GeoKeys.GEODETIC_DATUM).orElse(0) == GeoKeys.DATUM_WGS84);
        if (wgs84) {
            return Optional.empty();
        }
        return Optional.of(keys.get(GeoKeys.GEOGRAPHIC_TYPE).isEmpty() && keys.get(GeoKeys.GEODETIC_DATUM).isEmpty()
                ? "geographic coordinates without a GeographicType or datum; only EPSG:4326 gives chip bounds"
                : "geographic coordinates on a datum other than WGS 84; only EPSG:4326 gives chip bounds");
    }

    /** "EPSG:nnnn" where the keys name a code, a description otherwise. */
    private static String crsName(GeoKeys keys) {
        Optional<Integer> projected = keys.get(GeoKeys.PROJECTED_CS_TYPE);
        Optional<Integer> geographic = keys.get(GeoKeys.GEOGRAPHIC_TYPE);
        int modelType = keys.get(GeoKeys.MODEL_TYPE).orElse(0);
        if (projected.isPresent() && modelType != GeoKeys.MODEL_TYPE_GEOGRAPHIC) {
            return projected.get() == GeoKeys.USER_DEFINED ? "user-defined projected CRS" : "EPSG:" + projected.get();
        }
        if (geographic.isPresent()) {
            return geographic.get() == GeoKeys.USER_DEFINED ? "user-defined geographic CRS" : "EPSG:" + geographic.get();
        }
        if (modelType == GeoKeys.MODEL_TYPE_PROJECTED) {
            return "unspecified projected CRS";
        }
        return modelType == GeoKeys.MODEL_TYPE_GEOCENTRIC ? "geocentric CRS" : "unknown CRS";
    }

    private static GeoReference affine(double[] tiepoint, double[] scale, double[] transform, int rasterType) {
        // PixelIsPoint puts raster point (I, J) at the centre of pixel (I, J): half a pixel further in.
        double shift = rasterType == GeoKeys.RASTER_PIXEL_IS_POINT ? 0.5 : 0.0;
        if (tiepoint != null && scale != null) {
            if (tiepoint.length < 6 || scale.length < 2) {
                return unsupported("EPSG:4326", "ModelTiepointTag needs 6 values and ModelPixelScaleTag 2, got "
                        + tiepoint.length + " and " + scale.length);
            }
            if (tiepoint.length > 6) {
                return unsupported("EPSG:4326", (tiepoint.length / 6) + " tiepoints (ground control points) need warping, which ingest does not do");
            }
            double sx = scale[0];
            double sy = scale[1];
            if (!(sx > 0) || !(sy > 0) || !Double.isFinite(sx) || !Double.isFinite(sy)) {
                return unsupported("EPSG:4326", "ModelPixelScaleTag (" + sx + ", " + sy + ") is not a north-up raster (both must be positive)");
            }
            return wgs84(tiepoint[3] - (tiepoint[0] + shift) * sx, tiepoint[4] + (tiepoint[1] + shift) * sy, sx, sy);
        }
        if (transform != null && transform.length >= 16) {
            // Row-major 4x4: lon = a*col + b*row + d, lat = e*col + f*row + h.
            double a = transform[0];
            double b = transform[1];
            double d = transform[3];
            double e = transform[4];
            double f = transform[5];
            double h = transform[7];
            if (b != 0 || e != 0 || !(a > 0) || !(f < 0)) {
                return unsupported("EPSG:4326", "ModelTransformationTag describes a rotated or flipped raster; only north-up rasters give chip bounds");
            }
            return wgs84(d - shift * a, h - shift * f, a, -f);
        }
        return unsupported("EPSG:4326", "GeoKeys are present but ModelTiepointTag + ModelPixelScaleTag (or ModelTransformationTag) are missing");
    }

    private static double[] doubles(TIFFDirectory dir, int tag) {
        TIFFField field = dir.getTIFFField(tag);
        if (field == null) {
            return null;
        }
        double[] out = new double[field.getCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = field.getAsDouble(i);
        }
        return out;
    }

    private static int[] ints(TIFFField field) {
        int[] out = new int[field.getCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = field.getAsInt(i);
        }
        return out;
    }

    private static int intField(TIFFDirectory dir, int tag) {
        TIFFField field = dir.getTIFFField(tag);
        return field == null || field.getCount() == 0 ? -1 : field.getAsInt(0);
    }

    public Kind kind() {
        return kind;
    }

    /** Whether {@link #bounds(PixelWindow)} can be called. */
    public boolean hasBounds() {
        return kind == Kind.WGS84;
    }

    /** The CRS found, e.g. "EPSG:4326" or "EPSG:32633"; empty for {@link Kind#NONE} or when unknown. */
    public Optional<String> crs() {
        return Optional.ofNullable(crs);
    }

    /** A sentence for the uploader: what was found, and why chips do or do not get bounds. */
    public String detail() {
        return detail;
    }

    /** Longitude of corner column {@code col} (the west edge of pixel column {@code col}). */
    public double lon(double col) {
        requireBounds();
        return westLon + col * degPerPixelX;
    }

    /** Latitude of corner row {@code row} (the north edge of pixel row {@code row}). */
    public double lat(double row) {
        requireBounds();
        return northLat - row * degPerPixelY;
    }

    /**
     * The lon/lat box covered by {@code window}: west/east are the corner columns {@code x} and
     * {@code x + width}, north/south the corner rows {@code y} and {@code y + height}.
     *
     * @throws IllegalStateException if this raster has no WGS 84 georeference
     * @throws IllegalArgumentException if the box falls outside -180..180 / -90..90
     */
    public GeoBounds bounds(PixelWindow window) {
        Objects.requireNonNull(window, "window must not be null");
        requireBounds();
        return new GeoBounds(
                snap(lon(window.x()), 180), snap(lat(window.bottom()), 90), snap(lon(window.right()), 180), snap(lat(window.y()), 90));
    }

    private static double snap(double v, double limit) {
        if (v > limit && v - limit < EDGE_EPSILON) {
            return limit;
        }
        if (v < -limit && -limit - v < EDGE_EPSILON) {
            return -limit;
        }
        return v;
    }

    private void requireBounds() {
        if (kind != Kind.WGS84) {
            throw new IllegalStateException("no lon/lat bounds for this raster: " + detail);
        }
    }

    @Override
    public String toString() {
        return kind == Kind.WGS84
                ? "GeoReference[EPSG:4326, west=" + westLon + ", north=" + northLat + ", pixel=" + degPerPixelX + " x " + degPerPixelY + " deg]"
                : "GeoReference[" + kind + ", crs=" + crs + ", " + detail + "]";
    }
}
