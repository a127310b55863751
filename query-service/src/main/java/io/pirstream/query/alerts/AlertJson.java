package io.pirstream.query.alerts;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.pirstream.schemas.avro.Alert;
import io.pirstream.schemas.avro.GeoBounds;
import java.time.Instant;

/**
 * An alert as clients see it: the body of a webhook delivery and the data of an {@code alert} server-sent event.
 *
 * @param alertId {@code <subscriptionId>:<chipId>}, unique: receivers drop a delivery they already have
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AlertJson(String alertId, String subscriptionId, String chipId, float score, String queryText,
                        String modelVersion, Instant capturedAt, Instant ingestedAt, Instant alertedAt,
                        String thumbnailUrl, String source, String platform, String topScene, Bounds bounds) {

    public record Bounds(double west, double south, double east, double north) {
    }

    public static AlertJson of(Alert a) {
        GeoBounds g = a.getGeo();
        return new AlertJson(a.getSubscriptionId() + ":" + a.getChipId(), a.getSubscriptionId(), a.getChipId(),
                a.getScore(), a.getQueryText(), a.getModelVersion(), a.getCapturedAt(), a.getIngestedAt(),
                a.getAlertedAt(), a.getThumbnailUrl(), a.getSource() == null ? null : a.getSource().name(),
                a.getPlatform(), a.getTopScene(),
                g == null ? null : new Bounds(g.getWest(), g.getSouth(), g.getEast(), g.getNorth()));
    }
}
