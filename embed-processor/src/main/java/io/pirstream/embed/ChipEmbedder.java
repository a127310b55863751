package io.pirstream.embed;

import io.pirstream.imagery.ImageDecoder;
import io.pirstream.imagery.ImageHeader;
import io.pirstream.imagery.ImageLimits;
import io.pirstream.imagery.ImageRejectedException;
import io.pirstream.model.ImageEmbedding;
import io.pirstream.model.PirModel;
import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.Embedding;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Turns chips into embedding records with the PIR model, in two steps: {@link #decode} reads one chip's image into
 * the model's input pixels and a thumbnail (a corrupt image fails there, alone), and {@link #embed} runs the model
 * on a batch of decoded chips and attaches scene probabilities and metadata. Decoding is the CPU-heavy Java part,
 * so callers run it on their own threads while the model works on the previous batch.
 */
public class ChipEmbedder {

    /** A chip ready for the model: its image resized to the model's input, and the thumbnail for its record. */
    public record DecodedChip(Chip chip, byte[] pixels, byte[] thumbnail) {
    }

    /** The outcome for one chip: an embedding, or the reason there is none. */
    public record Outcome(Chip chip, Embedding embedding, Exception failure) {
        public boolean succeeded() {
            return embedding != null;
        }
    }

    /** Largest chip side decoded: ingest cuts chips of at most 2048 px, so a larger image was not cut by it. */
    static final int MAX_CHIP_SIDE = 4096;

    /** What a chip's image may be: a chip record's bytes, {@link #MAX_CHIP_SIDE} a side. */
    static final ImageLimits CHIP_LIMITS = new ImageLimits(Topics.MAX_MESSAGE_BYTES,
            (long) MAX_CHIP_SIDE * MAX_CHIP_SIDE, MAX_CHIP_SIDE);

    private static final ImageDecoder DECODER = new ImageDecoder(CHIP_LIMITS);

    private final PirModel model;

    public ChipEmbedder(PirModel model) {
        this.model = Objects.requireNonNull(model, "model must not be null");
    }

    public String modelVersion() {
        return model.version();
    }

    /**
     * Decodes a chip's image for the model (thread-safe, no model call).
     *
     * @throws IllegalArgumentException naming the chip and the reason, when its bytes are not an image a chip can be
     */
    public DecodedChip decode(Chip chip) {
        BufferedImage image = readImage(chip);
        return new DecodedChip(chip, model.pixels(image), Thumbnails.jpeg(image));
    }

    /** Embeds decoded chips in one model call; outcomes are in input order. */
    public List<Outcome> embed(List<DecodedChip> chips, Instant now) {
        List<ImageEmbedding> embeddings = model.embedPixels(chips.stream().map(DecodedChip::pixels).toList());
        List<Outcome> outcomes = new ArrayList<>(chips.size());
        for (int i = 0; i < chips.size(); i++) {
            DecodedChip decoded = chips.get(i);
            ImageEmbedding embedding = embeddings.get(i);
            outcomes.add(isFinite(embedding.vector())
                    ? new Outcome(decoded.chip(), record(decoded, embedding, now), null)
                    // a NaN vector would match nothing and poison the index: dead-letter it, naming the model
                    : new Outcome(decoded.chip(), null, new IllegalStateException("model " + model.version()
                            + " produced a non-finite embedding for chip " + decoded.chip().getChipId())));
        }
        return outcomes;
    }

    private Embedding record(DecodedChip decoded, ImageEmbedding embedding, Instant now) {
        Chip chip = decoded.chip();
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
                .setIngestedAt(chip.getIngestedAt())
                .setGeo(chip.getGeo())
                .setThumbnail(ByteBuffer.wrap(decoded.thumbnail()))
                .build();
    }

    /**
     * Reads a chip's image with the system's one decoder: from the header alone it refuses anything over
     * {@link #CHIP_LIMITS}, of another format than declared, or of other dimensions than the chip declares (a small
     * file can claim a huge image: any producer may write the chips topic), then decodes, refusing truncated and
     * corrupt files.
     */
    private static BufferedImage readImage(Chip chip) {
        ByteBuffer buffer = chip.getImage().duplicate();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        try {
            ImageHeader header = DECODER.header(bytes);
            if (!header.format().name().equals(chip.getFormat().name())) {
                throw new IllegalArgumentException("chip " + chip.getChipId() + ": declared " + chip.getFormat()
                        + " but its bytes are " + header.format() + "; refused before decoding");
            }
            if (header.width() != chip.getWidth() || header.height() != chip.getHeight()) {
                throw new IllegalArgumentException("chip " + chip.getChipId() + ": its image claims " + header.width()
                        + " x " + header.height() + " px but the chip declares " + chip.getWidth() + " x "
                        + chip.getHeight() + "; refused before decoding");
            }
            return DECODER.decode(bytes).image();
        } catch (ImageRejectedException e) {
            // the reason and message say it all; as a cause they would be repeated in the dead letter
            throw new IllegalArgumentException("chip " + chip.getChipId() + ": image refused (" + e.reason() + "): "
                    + e.getMessage());
        }
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
