package io.pirstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** Guards the evolution rules of every topic contract against its recorded history. */
class SchemaHistoryTest {

    static List<Class<? extends SpecificRecordBase>> recordTypes() {
        return AvroContracts.RECORD_TYPES;
    }

    @ParameterizedTest
    @MethodSource("recordTypes")
    void newestHistoryEntryIsTheCurrentSchema(Class<? extends SpecificRecordBase> type) {
        List<Schema> history = AvroContracts.history(type);
        Schema current = SpecificData.get().getSchema(type);
        assertThat(SchemaNormalization.toParsingForm(history.get(history.size() - 1)))
                .as("%s changed without a new version in schemas/src/main/avro/history/%s (add v%d.avsc with the"
                        + " resolved schema)", type.getSimpleName(), type.getSimpleName(), history.size() + 1)
                .isEqualTo(SchemaNormalization.toParsingForm(current));
    }

    @ParameterizedTest
    @MethodSource("recordTypes")
    void everyVersionCanReadItsPredecessor(Class<? extends SpecificRecordBase> type) {
        List<Schema> history = AvroContracts.history(type);
        for (int v = 1; v < history.size(); v++) {
            var result = SchemaCompatibility.checkReaderWriterCompatibility(history.get(v), history.get(v - 1));
            assertThat(result.getType())
                    .as("%s v%d reading v%d: %s", type.getSimpleName(), v + 1, v, result.getDescription())
                    .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        }
    }

    @ParameterizedTest
    @MethodSource("recordTypes")
    void recordsOfEveryVersionDecodeWithTheCurrentSerde(Class<? extends SpecificRecordBase> type) {
        AvroSerde<? extends SpecificRecordBase> serde = AvroSerde.of(type);
        for (Schema version : AvroContracts.history(type)) {
            byte[] bytes = AvroSerdeTest.encode(version, SampleRecords.fill(version));
            assertThat(serde.deserialize("topic", bytes))
                    .as("%s record written with a released schema", type.getSimpleName())
                    .isInstanceOf(type);
        }
    }

    @Test
    void compatibilityCheckRejectsANewRequiredField() {
        Schema old = SchemaBuilder.record("R").fields().requiredString("a").endRecord();
        Schema broken = SchemaBuilder.record("R").fields().requiredString("a").requiredInt("b").endRecord();
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(broken, old).getType())
                .as("a required field without default cannot read old records")
                .isEqualTo(SchemaCompatibilityType.INCOMPATIBLE);
    }
}
