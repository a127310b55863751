package io.pirstream.schemas;

import io.pirstream.schemas.avro.Alert;
import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.DeadLetter;
import io.pirstream.schemas.avro.Embedding;
import io.pirstream.schemas.avro.Feedback;
import io.pirstream.schemas.avro.ModelRelease;
import io.pirstream.schemas.avro.SceneManifest;
import io.pirstream.schemas.avro.StandingQuery;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.avro.util.ClassSecurityValidator;

/**
 * The record types carried on PIRStream topics, and every released version of their schemas.
 *
 * <p>Each value schema's history lives in {@code src/main/avro/history/<RecordName>/v<N>.avsc} as the fully
 * resolved schema (nested types inlined), so that a reader can resolve records written by any earlier
 * release. The newest history entry must equal the generated class's schema; {@code SchemaHistoryTest}
 * enforces that and Avro backward compatibility between consecutive versions.
 */
public final class AvroContracts {

    /** Every top-level record type that is a topic value. */
    public static final List<Class<? extends SpecificRecordBase>> RECORD_TYPES = List.of(
            Chip.class, Embedding.class, StandingQuery.class, Alert.class, Feedback.class, ModelRelease.class,
            DeadLetter.class, SceneManifest.class);

    private static final String GENERATED_PACKAGE = Chip.class.getPackageName();
    private static final String HISTORY_ROOT = "/pirstream/avro/history/";

    static {
        // Avro 1.12 refuses to instantiate classes by name unless they are trusted; trust only our generated package.
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(
                ClassSecurityValidator.getGlobal(),
                type -> type.getPackageName().equals(GENERATED_PACKAGE)));
    }

    private AvroContracts() {
    }

    /** Makes sure the generated classes are allow-listed; idempotent, called by every serde. */
    public static void ensureTrusted() {
        // the static initialiser does the work
    }

    /**
     * Every released schema of the given record type, oldest first.
     *
     * @throws IllegalStateException if the type has no history, which means someone added a contract
     *     without recording its first version
     */
    public static List<Schema> history(Class<? extends SpecificRecordBase> type) {
        String name = type.getSimpleName();
        List<Schema> versions = new ArrayList<>();
        for (int version = 1; ; version++) {
            String resource = HISTORY_ROOT + name + "/v" + version + ".avsc";
            try (InputStream in = AvroContracts.class.getResourceAsStream(resource)) {
                if (in == null) {
                    break;
                }
                versions.add(new Schema.Parser().parse(in));
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read schema history " + resource, e);
            }
        }
        if (versions.isEmpty()) {
            throw new IllegalStateException("No schema history for " + name + ": add " + HISTORY_ROOT + name
                    + "/v1.avsc (the resolved schema, Schema.toString(true) of " + type.getName() + ")");
        }
        return versions;
    }
}
