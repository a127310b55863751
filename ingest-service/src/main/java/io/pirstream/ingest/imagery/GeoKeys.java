package io.pirstream.ingest.imagery;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The inline (SHORT) entries of a GeoTIFF GeoKeyDirectoryTag. Keys whose values live in
 * GeoDoubleParams or GeoAsciiParams (location != 0) are skipped: none of the keys ingest reads
 * are stored there.
 */
final class GeoKeys {

    static final int MODEL_TYPE = 1024;
    static final int RASTER_TYPE = 1025;
    static final int GEOGRAPHIC_TYPE = 2048;
    static final int GEODETIC_DATUM = 2050;
    static final int PROJECTED_CS_TYPE = 3072;

    static final int MODEL_TYPE_PROJECTED = 1;
    static final int MODEL_TYPE_GEOGRAPHIC = 2;
    static final int MODEL_TYPE_GEOCENTRIC = 3;
    static final int RASTER_PIXEL_IS_AREA = 1;
    static final int RASTER_PIXEL_IS_POINT = 2;
    static final int EPSG_WGS84 = 4326;
    static final int DATUM_WGS84 = 6326;
    static final int USER_DEFINED = 32767;

    private final Map<Integer, Integer> values;

    private GeoKeys(Map<Integer, Integer> values) {
        this.values = values;
    }

    static GeoKeys empty() {
        return new GeoKeys(Map.of());
    }

    /**
     * Parses the directory: header (KeyDirectoryVersion, KeyRevision, MinorRevision, NumberOfKeys),
     * then NumberOfKeys entries of (KeyID, TIFFTagLocation, Count, Value_Offset).
     *
     * @throws IllegalArgumentException if the directory is shorter than its header says
     */
    static GeoKeys parse(int[] dir) {
        if (dir.length < 4) {
            throw new IllegalArgumentException("GeoKeyDirectoryTag has " + dir.length + " values, fewer than its 4-value header");
        }
        int n = dir[3];
        if (dir.length < 4 + 4 * n) {
            throw new IllegalArgumentException("GeoKeyDirectoryTag declares " + n + " keys but holds only " + (dir.length - 4) / 4);
        }
        Map<Integer, Integer> values = new HashMap<>();
        for (int i = 0; i < n; i++) {
            int base = 4 + 4 * i;
            if (dir[base + 1] == 0) {
                values.put(dir[base], dir[base + 3]);
            }
        }
        return new GeoKeys(values);
    }

    Optional<Integer> get(int key) {
        return Optional.ofNullable(values.get(key));
    }

    boolean isEmpty() {
        return values.isEmpty();
    }
}
