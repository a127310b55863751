package io.pirstream.ingest;

import io.pirstream.schemas.Topics;
import io.pirstream.schemas.avro.Chip;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The encoded chips of one upload, kept in a temporary file until all are made, so that the upload's transaction
 * opens only to send them. While a transaction is open, read_committed readers of every partition it wrote to stop
 * at its first record: a scene cut and encoded inside its transaction held back every frame uploaded meanwhile for
 * as long as the encoding took; now only for as long as sending its chips takes. Used by one thread.
 */
final class ChipSpool implements AutoCloseable {

    private static final Serializer<Chip> SERIALIZER = Topics.CHIPS.valueSerde().serializer();
    private static final Deserializer<Chip> DESERIALIZER = Topics.CHIPS.valueSerde().deserializer();

    private final Path file;
    private final DataOutputStream out;
    private int count;

    ChipSpool(Path directory) {
        try {
            Files.createDirectories(directory);
            this.file = Files.createTempFile(directory, "chips-", ".spool");
            this.out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a chip spool file in " + directory
                    + " (pirstream.ingest.spool-dir)", e);
        }
    }

    /** Appends one chip (length-prefixed, in the topic's encoding). */
    void add(Chip chip) {
        byte[] bytes = SERIALIZER.serialize(Topics.CHIPS.name(), chip);
        try {
            out.writeInt(bytes.length);
            out.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write chip spool " + file + " (pirstream.ingest.spool-dir full?)", e);
        }
        count++;
    }

    /** Hands every chip to {@code sink} in the order added, one at a time in memory. */
    void forEach(Consumer<Chip> sink) {
        try {
            out.flush();
            try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
                for (int i = 0; i < count; i++) {
                    byte[] bytes = new byte[in.readInt()];
                    in.readFully(bytes);
                    sink.accept(DESERIALIZER.deserialize(Topics.CHIPS.name(), bytes));
                }
            }
        } catch (EOFException e) {
            throw new IllegalStateException("Chip spool " + file + " is shorter than the " + count + " chips written", e);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read chip spool " + file, e);
        }
    }

    /** Deletes the file. */
    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            // the file is deleted below either way
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete chip spool " + file, e);
        }
    }
}
