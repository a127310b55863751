package io.pirstream.query.api;

/**
 * Body of {@code POST /v1/feedback}.
 *
 * @param queryText the search the result came from
 * @param chipId the chip judged
 * @param relevant whether it answers the search
 */
public record FeedbackRequest(String queryText, String chipId, Boolean relevant) {
}
