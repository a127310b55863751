package io.pirstream.query.index;

import io.pirstream.schemas.Topic;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Embedding;
import java.util.Objects;

/**
 * Applies one record of the embeddings topic to the index: a value replaces the chip's entry, a tombstone
 * removes it. Records that do not belong in this index are refused with the reason, for the dead-letter topic.
 */
public final class EmbeddingApplier {

    /** Why a record was refused. */
    public static final class Refused extends RuntimeException {
        Refused(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final VectorIndex index;
    private final String modelVersion;
    private final Topic<String, Embedding> topic;

    public EmbeddingApplier(VectorIndex index, String modelVersion) {
        this.index = Objects.requireNonNull(index, "index must not be null");
        this.modelVersion = Objects.requireNonNull(modelVersion, "modelVersion must not be null");
        this.topic = Topics.embeddings(modelVersion);
    }

    /**
     * @return the embedding indexed, or null for a deletion
     * @throws Refused when the value is not a decodable embedding of this index's model version and dimension
     */
    public Embedding apply(String key, byte[] value) {
        if (key == null) {
            throw new Refused("embedding record without a key: records are keyed by chip id", null);
        }
        if (value == null) {
            index.delete(key);
            return null;
        }
        Embedding embedding;
        try {
            embedding = topic.valueSerde().deserializer().deserialize(topic.name(), value);
        } catch (RuntimeException e) {
            throw new Refused(e.getMessage(), e);
        }
        if (!modelVersion.equals(embedding.getModelVersion())) {
            throw new Refused("embedding of chip " + key + " was made by model " + embedding.getModelVersion()
                    + "; this index holds model " + modelVersion + " only (an index never mixes versions)", null);
        }
        if (!key.equals(embedding.getChipId())) {
            throw new Refused("record key " + key + " differs from its chipId " + embedding.getChipId(), null);
        }
        try {
            index.upsert(embedding);
        } catch (IllegalArgumentException e) {
            throw new Refused(e.getMessage(), e);
        }
        return embedding;
    }
}
