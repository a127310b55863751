package io.pirstream.query;

import io.pirstream.schemas.avro.Embedding;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.Consumer;

/**
 * Chips as they become searchable on this instance, for live feeds. Listeners are called on the Streams global
 * thread, so they must hand the event off and return at once. Only live records are published, not the replay of
 * a restore.
 */
@ApplicationScoped
public class IndexEvents {

    /** A chip that became searchable. */
    public record Indexed(String chipId, Instant capturedAt, Instant embeddedAt, Instant ingestedAt, String source,
                          String platform, String topScene, String sceneId) {
    }

    private final Set<Consumer<Indexed>> listeners = new CopyOnWriteArraySet<>();

    public void publish(Embedding embedding) {
        if (listeners.isEmpty()) {
            return;
        }
        Indexed event = new Indexed(embedding.getChipId(), embedding.getCapturedAt(), embedding.getEmbeddedAt(),
                embedding.getIngestedAt(), embedding.getSource().name(), embedding.getPlatform(),
                embedding.getTopScene(), embedding.getSceneId());
        listeners.forEach(listener -> listener.accept(event));
    }

    /** Adds a listener; the returned handle removes it. */
    public AutoCloseable listen(Consumer<Indexed> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }
}
