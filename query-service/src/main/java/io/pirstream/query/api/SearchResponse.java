package io.pirstream.query.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.pirstream.query.index.Hit;
import io.pirstream.schemas.avro.Embedding;
import java.time.Instant;
import java.util.List;

/** Ranked results of a search. */
public record SearchResponse(String modelVersion, long tookMicros, int count, List<Result> results) {

    /** One chip in the results. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Result(String chipId, float score, String sceneId, Instant capturedAt, String source, String platform,
                         String topScene, Window window, Bounds bounds, String thumbnailUrl) {

        static Result of(float score, Embedding e) {
            var w = e.getWindow();
            var g = e.getGeo();
            return new Result(e.getChipId(), score, e.getSceneId(), e.getCapturedAt(), e.getSource().name(),
                    e.getPlatform(), e.getTopScene(), new Window(w.getX(), w.getY(), w.getWidth(), w.getHeight()),
                    g == null ? null : new Bounds(g.getWest(), g.getSouth(), g.getEast(), g.getNorth()),
                    "/v1/chips/" + e.getChipId() + "/thumbnail");
        }
    }

    public record Window(int x, int y, int width, int height) {
    }

    public record Bounds(double west, double south, double east, double north) {
    }

    static SearchResponse of(String modelVersion, long tookMicros, List<Hit> hits) {
        List<Result> results = hits.stream().map(hit -> Result.of(hit.score(), hit.embedding())).toList();
        return new SearchResponse(modelVersion, tookMicros, results.size(), results);
    }
}
