package io.pirstream.query.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.pirstream.schemas.avro.GeoBounds;
import io.pirstream.schemas.avro.StandingQuery;
import java.time.Instant;
import java.util.List;

/**
 * A subscription as the API shows it.
 *
 * @param active whether this service's model matches it (a subscription encoded by another model version waits for
 *     its own matcher)
 * @param webhookSecret only in the answer to a create or change that sets a webhook: verify deliveries with it
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SubscriptionView(String id, String text, float threshold, Filters filters, String webhookUrl, String owner,
                               String modelVersion, boolean active, Instant createdAt, Instant updatedAt,
                               String webhookSecret) {

    public record Filters(List<Double> bbox, List<String> sources, List<String> platforms) {
    }

    static SubscriptionView of(StandingQuery q, String activeModel, String webhookSecret) {
        GeoBounds b = q.getFilters().getBbox();
        return new SubscriptionView(q.getSubscriptionId(), q.getText(), q.getThreshold(),
                new Filters(b == null ? null : List.of(b.getWest(), b.getSouth(), b.getEast(), b.getNorth()),
                        q.getFilters().getSources().stream().map(Enum::name).toList(), q.getFilters().getPlatforms()),
                q.getWebhookUrl(), q.getOwner(), q.getModelVersion(), activeModel.equals(q.getModelVersion()),
                q.getCreatedAt(), q.getUpdatedAt(), webhookSecret);
    }
}
