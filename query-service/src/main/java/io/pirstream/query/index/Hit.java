package io.pirstream.query.index;

import io.pirstream.schemas.avro.Embedding;

/**
 * One search result.
 *
 * @param score cosine similarity between query and chip, -1..1
 * @param embedding the indexed record (metadata, thumbnail, vector)
 */
public record Hit(float score, Embedding embedding) {
}
