package io.pirstream.schemas;

import io.pirstream.schemas.avro.Chip;
import io.pirstream.schemas.avro.GeoBounds;
import io.pirstream.schemas.avro.ImageFormat;
import io.pirstream.schemas.avro.PixelWindow;
import io.pirstream.schemas.avro.Source;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;

/** Records for serde tests: a hand-written chip, and a filler that builds a valid record for any schema. */
final class SampleRecords {

    private SampleRecords() {
    }

    static Chip chip() {
        return Chip.newBuilder()
                .setChipId("c1").setSceneId("s1")
                .setImage(ByteBuffer.wrap(new byte[] {1, 2, 3}))
                .setFormat(ImageFormat.PNG).setWidth(256).setHeight(256)
                .setWindow(new PixelWindow(0, 256, 256, 256))
                .setSceneWidth(1000).setSceneHeight(600)
                .setSource(Source.SATELLITE).setPlatform("sentinel-2a")
                .setCapturedAt(Instant.parse("2026-11-01T10:00:00Z"))
                .setIngestedAt(Instant.parse("2026-11-01T10:00:05Z"))
                .setGeo(new GeoBounds(10.0, 50.0, 10.1, 50.1))
                .build();
    }

    /** A generic record of the given schema with every field set to a simple valid value. */
    static Object fill(Schema schema) {
        return switch (schema.getType()) {
            case RECORD -> {
                GenericData.Record record = new GenericData.Record(schema);
                schema.getFields().forEach(field -> record.put(field.name(), fill(field.schema())));
                yield record;
            }
            case UNION -> fill(schema.getTypes().stream().filter(s -> s.getType() != Schema.Type.NULL)
                    .findFirst().orElseThrow());
            case ENUM -> new GenericData.EnumSymbol(schema, schema.getEnumSymbols().get(0));
            case ARRAY -> new ArrayList<>(List.of(fill(schema.getElementType())));
            case MAP -> new HashMap<>(Map.of("k", fill(schema.getValueType())));
            case STRING -> "text";
            case BYTES -> ByteBuffer.wrap(new byte[] {7});
            case INT -> 7;
            case LONG -> 7L;
            case FLOAT -> 0.5f;
            case DOUBLE -> 0.25;
            case BOOLEAN -> true;
            case FIXED -> new GenericData.Fixed(schema, new byte[schema.getFixedSize()]);
            case NULL -> null;
        };
    }
}
