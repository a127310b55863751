package io.pirstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pirstream.schemas.avro.Chip;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

    private final AvroSerde<Chip> serde = AvroSerde.of(Chip.class);

    @Test
    void roundTripsARecordWithNestedTypes() {
        Chip chip = SampleRecords.chip();
        byte[] bytes = serde.serialize("pir.chips", chip);
        assertThat(bytes[0]).as("single-object marker byte 1").isEqualTo((byte) 0xC3);
        assertThat(bytes[1]).as("single-object marker byte 2").isEqualTo((byte) 0x01);
        assertThat(serde.deserialize("pir.chips", bytes)).as("decoded chip").isEqualTo(chip);
    }

    @Test
    void nullIsATombstoneBothWays() {
        assertThat(serde.serialize("pir.chips", null)).as("serialised tombstone").isNull();
        assertThat(serde.deserialize("pir.chips", null)).as("deserialised tombstone").isNull();
    }

    @Test
    void unknownFingerprintIsNamedInTheError() {
        Schema stranger = SchemaBuilder.record("Stranger").namespace("elsewhere").fields()
                .requiredString("name").endRecord();
        GenericData.Record record = new GenericData.Record(stranger);
        record.put("name", "x");
        byte[] bytes = encode(stranger, record);
        String fingerprint = AvroSerde.fingerprintHex(bytes);

        assertThatThrownBy(() -> serde.deserialize("pir.chips", bytes))
                .as("decoding a record with an unregistered writer schema")
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("Unknown schema fingerprint " + fingerprint)
                .hasMessageContaining("pir.chips");
    }

    @Test
    void bytesWithoutTheSingleObjectHeaderAreRejectedWithTheirLength() {
        assertThatThrownBy(() -> serde.deserialize("pir.chips", "{\"json\":true}".getBytes()))
                .as("decoding plain JSON")
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("Not an Avro single-object encoded Chip")
                .hasMessageContaining("13 bytes");
    }

    @Test
    void truncatedRecordIsReportedAsCorrupt() {
        byte[] bytes = serde.serialize("pir.chips", SampleRecords.chip());
        byte[] truncated = java.util.Arrays.copyOf(bytes, bytes.length / 2);
        assertThatThrownBy(() -> serde.deserialize("pir.chips", truncated))
                .as("decoding half a record")
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("Corrupt Chip record");
    }

    @Test
    void recordsOfAnOlderWriterSchemaResolveIntoTheCurrentClass() {
        // A hypothetical first release of Chip without the optional sceneLabel and crs fields.
        Schema current = Chip.getClassSchema();
        Schema older = withoutFields(current, "sceneLabel", "crs");
        GenericData.Record old = (GenericData.Record) SampleRecords.fill(older);
        byte[] bytes = encode(older, old);
        AvroSerde<Chip> reader = new AvroSerde<>(Chip.class, List.of(older, current));

        Chip chip = reader.deserialize("pir.chips", bytes);

        assertThat(chip.getChipId()).as("chip id written by the old producer").isEqualTo("text");
        assertThat(chip.getSceneLabel()).as("field added later takes its default").isNull();
        assertThat(chip.getCrs()).as("field added later takes its default").isNull();
    }

    static byte[] encode(Schema schema, Object record) {
        try {
            ByteBuffer buffer = new BinaryMessageEncoder<>(GenericData.get(), schema).encode(record);
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Schema withoutFields(Schema schema, String... dropped) {
        List<String> drop = List.of(dropped);
        List<Schema.Field> fields = schema.getFields().stream().filter(f -> !drop.contains(f.name()))
                .map(f -> new Schema.Field(f, f.schema())).toList();
        return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
    }
}
