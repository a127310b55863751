package io.pirstream.ingest.imagery;

/**
 * A lon/lat box in degrees (WGS 84). Boxes crossing the antimeridian are not representable
 * ({@code west <= east} is required); a scene that crosses it has to be split by the sender.
 */
public record GeoBounds(double west, double south, double east, double north) {

    public GeoBounds {
        requireInRange("west", west, 180);
        requireInRange("east", east, 180);
        requireInRange("south", south, 90);
        requireInRange("north", north, 90);
        if (west > east) {
            throw new IllegalArgumentException("west (" + west + ") must not be greater than east (" + east + ")");
        }
        if (south > north) {
            throw new IllegalArgumentException("south (" + south + ") must not be greater than north (" + north + ")");
        }
    }

    private static void requireInRange(String name, double value, double limit) {
        if (!Double.isFinite(value) || value < -limit || value > limit) {
            throw new IllegalArgumentException(name + " must be a number in -" + (int) limit + ".." + (int) limit + " degrees, got " + value);
        }
    }
}
