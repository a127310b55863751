package io.pirstream.ingest;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.pirstream.ingest.imagery.GeoBounds;
import io.pirstream.ingest.imagery.PixelWindow;
import java.util.List;

/**
 * What an upload became: the scene id and every chip written.
 *
 * @param sceneId hash of the uploaded bytes; the same upload always gets the same id
 * @param width width of the upload in pixels
 * @param height height of the upload in pixels
 * @param georeferencing how chips are located: {@code WGS84} (lon/lat bounds per chip), {@code METADATA}
 *     (from the request's bbox/centre), {@code PIXEL_WINDOWS_ONLY} (see {@code note})
 * @param crs the source's CRS where it had one that was not turned into lon/lat bounds
 * @param note a human-readable remark about georeferencing, when there is one
 * @param chips the chips, in row-major order
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record IngestResult(String sceneId, int width, int height, String georeferencing, String crs, String note,
                           int chipCount, List<ChipRef> chips) {

    /** One chip: its id, pixel window in the upload, and lon/lat bounds when known. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ChipRef(String chipId, PixelWindow window, GeoBounds bounds) {
    }

    public List<String> chipIds() {
        return chips.stream().map(ChipRef::chipId).toList();
    }
}
