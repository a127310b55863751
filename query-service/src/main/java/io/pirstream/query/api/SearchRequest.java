package io.pirstream.query.api;

import java.time.Instant;
import java.util.List;

/**
 * Body of {@code POST /v1/search} and {@code POST /v1/search/similar}.
 *
 * @param text the description to search for (text search)
 * @param chipId the chip to find similar ones to (similar search)
 * @param k how many results, 1..maxK (default 10)
 * @param filters optional restrictions
 */
public record SearchRequest(String text, String chipId, Integer k, Filters filters) {

    /**
     * @param from earliest capture time, inclusive
     * @param to latest capture time, inclusive
     * @param bbox [west, south, east, north] in degrees; results overlap it
     * @param sources DRONE and/or SATELLITE
     * @param platforms platform ids
     * @param minScore lowest cosine similarity, -1..1
     */
    public record Filters(Instant from, Instant to, List<Double> bbox, List<String> sources, List<String> platforms,
                          Float minScore) {
    }
}
