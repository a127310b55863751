package io.pirstream.query.api;

import io.pirstream.query.alerts.Subscriptions;
import io.pirstream.schemas.avro.GeoBounds;
import io.pirstream.schemas.avro.QueryFilters;
import io.pirstream.schemas.avro.Source;
import io.pirstream.service.api.ProblemException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Body of {@code POST /v1/subscriptions} and {@code PUT /v1/subscriptions/{id}}.
 *
 * @param text what to watch for, e.g. "a flooded road"
 * @param threshold lowest cosine similarity that raises an alert, -1..1
 * @param filters optional restrictions on the chips matched
 * @param webhookUrl optional http(s) URL every alert is POSTed to
 */
public record SubscriptionRequest(String text, Float threshold, Filters filters, String webhookUrl) {

    /** Most platforms one subscription may list. */
    static final int MAX_PLATFORMS = 100;

    /**
     * @param bbox [west, south, east, north] in degrees; chips must overlap it (chips without bounds never match)
     * @param sources DRONE and/or SATELLITE
     * @param platforms platform ids
     */
    public record Filters(List<Double> bbox, List<String> sources, List<String> platforms) {
    }

    /** The validated request; every problem names the field and what is allowed. */
    Subscriptions.Spec validate(int maxTextLength) {
        String body = text == null ? "" : text.strip();
        if (body.isEmpty() || body.length() > maxTextLength) {
            throw bad("INVALID_TEXT", "'text' must be 1.." + maxTextLength + " characters describing what to watch for,"
                    + " e.g. \"a flooded road\"; got " + (body.isEmpty() ? "nothing" : body.length() + " characters"));
        }
        if (threshold == null || !Float.isFinite(threshold) || threshold < -1 || threshold > 1) {
            throw bad("INVALID_THRESHOLD", "'threshold' is the lowest cosine similarity that raises an alert, -1..1"
                    + " (0.2-0.35 suits the shipped model); got " + threshold);
        }
        String webhook = webhookUrl == null || webhookUrl.isBlank() ? null : webhookUrl.strip();
        return new Subscriptions.Spec(body, threshold, toFilters(), webhook);
    }

    private QueryFilters toFilters() {
        // every field set: a builder's default values resolve classes through the context class loader
        QueryFilters.Builder out = QueryFilters.newBuilder().setBbox(null).setCapturedFrom(null).setCapturedTo(null)
                .setSources(new ArrayList<>()).setPlatforms(new ArrayList<>());
        if (filters == null) {
            return out.build();
        }
        if (filters.bbox() != null) {
            List<Double> b = filters.bbox();
            if (b.size() != 4 || b.stream().anyMatch(v -> v == null || !Double.isFinite(v))) {
                throw bad("INVALID_BBOX", "'filters.bbox' must be [west, south, east, north] in degrees; got " + b);
            }
            double west = b.get(0), south = b.get(1), east = b.get(2), north = b.get(3);
            if (west < -180 || east > 180 || south < -90 || north > 90 || west > east || south > north) {
                throw bad("INVALID_BBOX", "'filters.bbox' " + b + " must lie within -180..180 / -90..90 with west <= east"
                        + " and south <= north");
            }
            out.setBbox(new GeoBounds(west, south, east, north));
        }
        Set<Source> sources = new LinkedHashSet<>();
        for (String s : filters.sources() == null ? List.<String>of() : filters.sources()) {
            try {
                sources.add(Source.valueOf(s.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException | NullPointerException e) {
                throw bad("INVALID_FILTER", "'filters.sources' entries must be one of " + Arrays.toString(Source.values())
                        + "; got '" + s + "'");
            }
        }
        out.setSources(new ArrayList<>(sources));
        List<String> platforms = filters.platforms() == null ? List.of() : filters.platforms();
        if (platforms.size() > MAX_PLATFORMS || platforms.stream().anyMatch(p -> p == null || p.isBlank())) {
            throw bad("INVALID_FILTER", "'filters.platforms' must be at most " + MAX_PLATFORMS + " non-empty platform ids;"
                    + " got " + platforms);
        }
        out.setPlatforms(new ArrayList<>(new LinkedHashSet<>(platforms)));
        return out.build();
    }

    private static ProblemException bad(String reason, String detail) {
        return ProblemException.badRequest(reason, detail);
    }
}
