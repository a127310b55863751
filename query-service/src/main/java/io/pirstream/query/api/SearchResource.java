package io.pirstream.query.api;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.pirstream.query.SearchEngine;
import io.pirstream.query.index.Hit;
import io.pirstream.query.index.SearchFilters;
import io.pirstream.schemas.avro.Embedding;
import io.pirstream.schemas.avro.GeoBounds;
import io.pirstream.schemas.avro.Source;
import io.pirstream.service.api.ProblemException;
import io.pirstream.service.security.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** Text-to-image and image-to-image search over the live vector store, and chip lookups. */
@Path("/v1")
@RolesAllowed(Roles.ANALYST)
@Produces(MediaType.APPLICATION_JSON)
public class SearchResource {

    private static final int DEFAULT_K = 10;

    private final SearchEngine engine;
    private final Timer latency;

    public SearchResource(SearchEngine engine, MeterRegistry metrics) {
        this.engine = engine;
        this.latency = Timer.builder("pirstream.query.search").description("Search latency, query encoding included")
                .publishPercentiles(0.5, 0.99).register(metrics);
    }

    @POST
    @Path("/search")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Find chips by describing them in words",
            description = "Body: {text, k (1..100, default 10), filters: {from, to, bbox: [w,s,e,n], sources, platforms,"
                    + " minScore}}. Results are ranked by cosine similarity; each links its thumbnail.")
    public SearchResponse search(SearchRequest request) {
        SearchRequest body = require(request);
        if (body.chipId() != null) {
            throw bad("UNKNOWN_FIELD", "'chipId' belongs to /v1/search/similar; /v1/search takes 'text'");
        }
        String text = body.text() == null ? "" : body.text().strip();
        if (text.isEmpty() || text.length() > engine.maxTextLength()) {
            throw bad("INVALID_TEXT", "'text' must be 1.." + engine.maxTextLength() + " characters of description, e.g."
                    + " \"a small lake surrounded by forest\"; got " + (text.isEmpty() ? "nothing" : text.length() + " characters"));
        }
        int k = k(body.k());
        SearchFilters filters = filters(body.filters());
        return timed(() -> ready(() -> engine.search(text, k, filters)));
    }

    @POST
    @Path("/search/similar")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Find chips that look like an indexed chip", description = "Body: {chipId, k, filters}.")
    public SearchResponse similar(SearchRequest request) {
        SearchRequest body = require(request);
        if (body.text() != null) {
            throw bad("UNKNOWN_FIELD", "'text' belongs to /v1/search; /v1/search/similar takes 'chipId'");
        }
        if (body.chipId() == null || body.chipId().isBlank()) {
            throw bad("INVALID_CHIP_ID", "'chipId' is required: the id of an indexed chip");
        }
        int k = k(body.k());
        SearchFilters filters = filters(body.filters());
        return timed(() -> ready(() -> engine.similar(body.chipId(), k, filters)
                .orElseThrow(() -> notFound(body.chipId()))));
    }

    @GET
    @Path("/chips/{id}")
    @Operation(summary = "Metadata of one indexed chip")
    public SearchResponse.Result chip(@PathParam("id") String id) {
        Embedding chip = ready(() -> engine.chip(id)).orElseThrow(() -> notFound(id));
        return SearchResponse.Result.of(1f, chip);
    }

    @GET
    @Path("/chips/{id}/thumbnail")
    @Produces("image/jpeg")
    @Operation(summary = "JPEG thumbnail of one indexed chip (at most 8 KB)")
    public Response thumbnail(@PathParam("id") String id) {
        Embedding chip = ready(() -> engine.chip(id)).orElseThrow(() -> notFound(id));
        ByteBuffer thumbnail = chip.getThumbnail().duplicate();
        byte[] bytes = new byte[thumbnail.remaining()];
        thumbnail.get(bytes);
        return Response.ok(bytes, "image/jpeg").header("Cache-Control", "max-age=86400").build();
    }

    private SearchResponse timed(java.util.function.Supplier<SearchEngine.Answer> search) {
        long start = System.nanoTime();
        SearchEngine.Answer answer = search.get();
        long nanos = System.nanoTime() - start;
        latency.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        return SearchResponse.of(answer.modelVersion(), nanos / 1000, answer.hits());
    }

    private static <T> T ready(java.util.function.Supplier<T> action) {
        try {
            return action.get();
        } catch (SearchEngine.NotReady e) {
            throw new ProblemException(Response.Status.SERVICE_UNAVAILABLE, "INDEX_NOT_READY", e.getMessage());
        }
    }

    private static SearchRequest require(SearchRequest request) {
        if (request == null) {
            throw bad("MISSING_BODY", "Send a JSON body, e.g. {\"text\": \"a parking lot full of cars\", \"k\": 10}");
        }
        return request;
    }

    private int k(Integer k) {
        int value = k == null ? DEFAULT_K : k;
        if (value < 1 || value > engine.maxK()) {
            throw bad("INVALID_K", "'k' must be 1.." + engine.maxK() + "; got " + value);
        }
        return value;
    }

    private static SearchFilters filters(SearchRequest.Filters f) {
        if (f == null) {
            return SearchFilters.NONE;
        }
        if (f.from() != null && f.to() != null && f.from().isAfter(f.to())) {
            throw bad("INVALID_FILTER", "'filters.from' (" + f.from() + ") is after 'filters.to' (" + f.to() + ")");
        }
        GeoBounds bbox = null;
        if (f.bbox() != null) {
            List<Double> b = f.bbox();
            if (b.size() != 4 || b.stream().anyMatch(v -> v == null || !Double.isFinite(v))) {
                throw bad("INVALID_BBOX", "'filters.bbox' must be [west, south, east, north] in degrees; got " + b);
            }
            double west = b.get(0), south = b.get(1), east = b.get(2), north = b.get(3);
            if (west < -180 || east > 180 || south < -90 || north > 90 || west > east || south > north) {
                throw bad("INVALID_BBOX", "'filters.bbox' " + b + " must lie within -180..180 / -90..90 with west <= east"
                        + " and south <= north");
            }
            bbox = new GeoBounds(west, south, east, north);
        }
        Set<Source> sources = new HashSet<>();
        for (String s : f.sources() == null ? List.<String>of() : f.sources()) {
            try {
                sources.add(Source.valueOf(s.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException | NullPointerException e) {
                throw bad("INVALID_FILTER", "'filters.sources' entries must be one of " + Arrays.toString(Source.values())
                        + "; got '" + s + "'");
            }
        }
        if (f.minScore() != null && (f.minScore() < -1 || f.minScore() > 1)) {
            throw bad("INVALID_FILTER", "'filters.minScore' is a cosine similarity, -1..1; got " + f.minScore());
        }
        Set<String> platforms = new HashSet<>();
        for (String p : f.platforms() == null ? List.<String>of() : f.platforms()) {
            if (p == null || p.isBlank()) {
                throw bad("INVALID_FILTER", "'filters.platforms' entries must be platform ids; got " + f.platforms());
            }
            platforms.add(p);
        }
        return new SearchFilters(f.from(), f.to(), bbox, sources, platforms, f.minScore());
    }

    private static ProblemException bad(String reason, String detail) {
        return ProblemException.badRequest(reason, detail);
    }

    private static ProblemException notFound(String chipId) {
        return new ProblemException(Response.Status.NOT_FOUND, "CHIP_NOT_FOUND", "No indexed chip with id '" + chipId
                + "' (it may not be embedded yet, or was deleted)");
    }
}
