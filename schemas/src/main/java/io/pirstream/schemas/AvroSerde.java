package io.pirstream.schemas;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for a generated Avro record using Avro single-object encoding: a two-byte marker, the
 * writer schema's 64-bit CRC fingerprint, then the binary record. No schema registry is needed: every
 * released version of the schema (see {@link AvroContracts#history}) is registered with the decoder, so
 * records written by older producers resolve into the current class. A {@code null} value is a tombstone
 * both ways.
 *
 * <p>Instances are thread-safe and can be shared by plain clients and Kafka Streams.
 */
public final class AvroSerde<T extends SpecificRecordBase> implements Serde<T>, Serializer<T>, Deserializer<T> {

    private static final int HEADER_LENGTH = 10;

    private final Class<T> type;
    private final BinaryMessageEncoder<T> encoder;
    private final BinaryMessageDecoder<T> decoder;

    /** A serde that can read records written with any of {@code writerSchemas}; tests use it directly. */
    AvroSerde(Class<T> type, List<Schema> writerSchemas) {
        AvroContracts.ensureTrusted();
        this.type = Objects.requireNonNull(type, "type must not be null");
        // Resolve record classes through the type's own class loader: the generated MODEL$ falls back to the
        // thread's context loader, which in containers (Quarkus, test runners) may hold a second copy of the class.
        SpecificData model = new SpecificData(type.getClassLoader());
        SpecificData.getForClass(type).getConversions().forEach(model::addLogicalTypeConversion);
        Schema current = model.getSchema(type);
        SchemaStore.Cache known = new SchemaStore.Cache();
        writerSchemas.forEach(known::addSchema);
        this.encoder = new BinaryMessageEncoder<>(model, current);
        this.decoder = new BinaryMessageDecoder<>(model, current, known);
    }

    /** A serde for the given generated record type. */
    public static <T extends SpecificRecordBase> AvroSerde<T> of(Class<T> type) {
        return new AvroSerde<>(type, AvroContracts.history(type));
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) {
            return null;
        }
        try {
            ByteBuffer buffer = encoder.encode(data);
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException | AvroRuntimeException e) {
            throw new SerializationException("Cannot encode " + type.getSimpleName() + " for topic " + topic
                    + ": " + e.getMessage(), e);
        }
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        try {
            return decoder.decode(data);
        } catch (MissingSchemaException e) {
            throw new SerializationException("Unknown schema fingerprint " + fingerprintHex(data) + " in a "
                    + type.getSimpleName() + " record on topic " + topic
                    + ": it was written with a schema this release does not know; upgrade the reader or add the"
                    + " writer's schema to schemas/src/main/avro/history/" + type.getSimpleName(), e);
        } catch (BadHeaderException e) {
            throw new SerializationException("Not an Avro single-object encoded " + type.getSimpleName()
                    + " on topic " + topic + " (" + data.length + " bytes): " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("Corrupt " + type.getSimpleName() + " record on topic " + topic
                    + " (" + data.length + " bytes, schema fingerprint " + fingerprintHex(data) + "): "
                    + e.getMessage(), e);
        }
    }

    /** The writer-schema fingerprint in a single-object encoded payload, as 16 hex digits, or "none". */
    static String fingerprintHex(byte[] data) {
        if (data.length < HEADER_LENGTH) {
            return "none";
        }
        long fingerprint = ByteBuffer.wrap(data, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return HexFormat.of().toHexDigits(fingerprint);
    }

    @Override
    public Serializer<T> serializer() {
        return this;
    }

    @Override
    public Deserializer<T> deserializer() {
        return this;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        // nothing to configure: the record type fixes the schema
    }

    @Override
    public void close() {
        // nothing to release
    }
}
