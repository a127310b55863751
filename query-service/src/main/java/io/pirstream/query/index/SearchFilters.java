package io.pirstream.query.index;

import io.pirstream.schemas.avro.GeoBounds;
import io.pirstream.schemas.avro.Source;
import java.time.Instant;
import java.util.Set;

/**
 * Restrictions on search results; null or empty means no restriction.
 *
 * @param capturedFrom earliest capture time, inclusive
 * @param capturedTo latest capture time, inclusive
 * @param bbox results must overlap this lon/lat box (chips without bounds never match a bbox)
 * @param sources allowed sources
 * @param platforms allowed platforms
 * @param minScore lowest cosine similarity returned
 */
public record SearchFilters(Instant capturedFrom, Instant capturedTo, GeoBounds bbox, Set<Source> sources,
                            Set<String> platforms, Float minScore) {

    public static final SearchFilters NONE = new SearchFilters(null, null, null, Set.of(), Set.of(), null);

    public SearchFilters {
        sources = sources == null ? Set.of() : Set.copyOf(sources);
        platforms = platforms == null ? Set.of() : Set.copyOf(platforms);
    }

    boolean restrictsDocuments() {
        return capturedFrom != null || capturedTo != null || bbox != null || !sources.isEmpty() || !platforms.isEmpty();
    }
}
