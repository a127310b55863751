package io.pirstream.embed;

import io.pirstream.model.ImageEmbedding;
import io.pirstream.model.PirModel;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.Embedding;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.imageio.ImageIO;

/**
 * Turns chips into embedding records with the PIR model: decodes each chip image, embeds the readable ones in one
 * batch, and attaches scene probabilities, metadata and a thumbnail. A chip that cannot be decoded fails alone;
 * the rest of the batch goes on.
 */
public final class ChipEmbedder {

    /** The outcome for one chip: an embedding, or the reason there is none. */
    public record Outcome(Chip chip, Embedding embedding, Exception failure) {
        public boolean succeeded() {
            return embedding != null;
        }
    }

    private final PirModel model;

    public ChipEmbedder(PirModel model) {
        this.model = Objects.requireNonNull(model, "model must not be null");
    }

    public String modelVersion() {
        return model.version();
    }

    /** Embeds a batch; outcomes are in input order. */
    public List<Outcome> embed(List<Chip> chips, Instant now) {
        List<Outcome> outcomes = new ArrayList<>(chips.size());
        List<BufferedImage> images = new ArrayList<>();
        List<Integer> readable = new ArrayList<>();
        for (Chip chip : chips) {
            try {
                images.add(decode(chip));
                readable.add(outcomes.size());
                outcomes.add(null);
            } catch (IllegalArgumentException e) {
                outcomes.add(new Outcome(chip, null, e));
            }
        }
        if (!images.isEmpty()) {
            List<ImageEmbedding> embeddings = model.embedDecodedImages(images);
            for (int i = 0; i < readable.size(); i++) {
                int index = readable.get(i);
                Chip chip = chips.get(index);
                ImageEmbedding embedding = embeddings.get(i);
                outcomes.set(index, isFinite(embedding.vector())
                        ? new Outcome(chip, record(chip, embedding, images.get(i), now), null)
                        // a NaN vector would match nothing and poison the index: dead-letter it, naming the model
                        : new Outcome(chip, null, new IllegalStateException("model " + model.version()
                                + " produced a non-finite embedding for chip " + chip.getChipId())));
            }
        }
        return outcomes;
    }

    private Embedding record(Chip chip, ImageEmbedding embedding, BufferedImage image, Instant now) {
        float[] probabilities = embedding.sceneProbabilities();
        int top = 0;
        for (int i = 1; i < probabilities.length; i++) {
            if (probabilities[i] > probabilities[top]) {
                top = i;
            }
        }
        return Embedding.newBuilder()
                .setChipId(chip.getChipId())
                .setModelVersion(model.version())
                .setVector(floats(embedding.vector()))
                .setSceneProbabilities(floats(probabilities))
                .setTopScene(model.sceneClasses().get(top))
                .setSceneId(chip.getSceneId())
                .setWindow(chip.getWindow())
                .setSource(chip.getSource())
                .setPlatform(chip.getPlatform())
                .setCapturedAt(chip.getCapturedAt())
                .setEmbeddedAt(now)
                .setGeo(chip.getGeo())
                .setThumbnail(ByteBuffer.wrap(Thumbnails.jpeg(image)))
                .build();
    }

    private static BufferedImage decode(Chip chip) {
        ByteBuffer buffer = chip.getImage().duplicate();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        BufferedImage image;
        try {
            image = ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("chip " + chip.getChipId() + ": corrupt " + chip.getFormat() + " image ("
                    + bytes.length + " bytes): " + e.getMessage(), e);
        }
        if (image == null) {
            throw new IllegalArgumentException("chip " + chip.getChipId() + ": " + bytes.length + " bytes declared "
                    + chip.getFormat() + " are not a readable image");
        }
        return image;
    }

    private static boolean isFinite(float[] vector) {
        for (float x : vector) {
            if (!Float.isFinite(x)) {
                return false;
            }
        }
        return true;
    }

    private static List<Float> floats(float[] values) {
        List<Float> list = new ArrayList<>(values.length);
        for (float value : values) {
            list.add(value);
        }
        return list;
    }
}
