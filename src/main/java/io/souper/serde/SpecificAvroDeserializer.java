package io.souper.serde;

import io.souper.registry.RegistryUnavailableException;
import io.souper.registry.SchemaNotFoundException;
import io.souper.registry.SchemaRegistryClient;
import io.souper.registry.SchemaRegistryException;
import java.io.EOFException;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Confluent wire-format values into generated Avro classes. The writer schema comes from the
 * registry by the id in the payload; the reader schema is the generated class's, and Avro's schema
 * resolution bridges the two, so data written with an older or newer compatible schema reads fine.
 *
 * <p>The class is the one given to the constructor or, without one, the generated class named like
 * the writer schema (Confluent's {@code specific.avro.reader=true} behaviour).
 */
public class SpecificAvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {
    private SchemaRegistryClient client;
    private boolean ownsClient;
    private final Class<T> type;
    /** Per schema id: readers are thread-safe and costly to build (resolution is computed once). */
    private final Map<Integer, Reader<T>> readers = new ConcurrentHashMap<>();
    private DecodingLimits limits = DecodingLimits.defaults();

    /** A reader for one writer schema, and whether that schema has collections of zero-byte items. */
    private record Reader<T>(SpecificDatumReader<T> datumReader, boolean zeroByteItems) {
    }

    /** For Kafka's reflective construction: {@link #configure} must then supply schema.registry.url. */
    public SpecificAvroDeserializer() {
        this(null, null);
    }

    /** Uses {@code client}; reads into the generated class the writer schema names. */
    public SpecificAvroDeserializer(SchemaRegistryClient client) {
        this(client, null);
    }

    /** Uses {@code client}; reads into {@code type}, refusing schemas that cannot resolve to it. */
    public SpecificAvroDeserializer(SchemaRegistryClient client, Class<T> type) {
        this.client = client;
        this.type = type;
    }

    /** Lets {@link SpecificAvroSerde} give its serializer and deserializer one shared client. */
    void adoptClient(SchemaRegistryClient shared) {
        if (client == null) {
            client = shared;
        }
    }

    boolean hasClient() {
        return client != null;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        AvroSerdeConfig config = new AvroSerdeConfig(configs);
        limits = config.decodingLimits();
        if (!config.specificAvroReader()) {
            throw new ConfigException(AvroSerdeConfig.SPECIFIC_AVRO_READER, false,
                    "SpecificAvroDeserializer always reads generated classes; it cannot return GenericRecords");
        }
        if (client == null) {
            client = SerdeClients.fromConfig(config, configs);
            ownsClient = true;
        }
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        if (client == null) {
            throw new SerializationException("SpecificAvroDeserializer is not configured: call configure() with "
                    + AvroSerdeConfig.SCHEMA_REGISTRY_URL + " or construct it with a SchemaRegistryClient");
        }
        int schemaId = WireFormat.schemaId(data, topic);
        Reader<T> reader = readers.computeIfAbsent(schemaId, id -> newReader(id, topic));
        String what = "schema id " + schemaId + " (" + reader.datumReader().getSchema().getFullName() + ") on topic "
                + topic;
        BoundedBinaryDecoder decoder = new BoundedBinaryDecoder(data, WireFormat.HEADER_SIZE,
                data.length - WireFormat.HEADER_SIZE, limits, reader.zeroByteItems());
        T value;
        try {
            value = reader.datumReader().read(null, decoder);
        } catch (EOFException e) {
            throw new SerializationException("Truncated payload: " + data.length + " bytes (" + (data.length
                    - WireFormat.HEADER_SIZE) + " after the header) end before a complete record of " + what
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()), e);
        } catch (IOException | RuntimeException e) {
            // Whatever Avro or the generated class throws on these bytes (a bad union index, an enum
            // symbol out of range, a claim over a limit) is the record's fault: the bytes are not valid.
            throw new SerializationException("Payload of " + data.length + " bytes is not valid Avro for " + what
                    + ": " + e, e);
        }
        if (!decoder.isEnd()) {
            throw new SerializationException("Payload of " + data.length + " bytes has " + decoder.remaining()
                    + " bytes left after a complete record of " + what + ": not written with that schema");
        }
        return value;
    }

    @Override
    public void close() {
        if (ownsClient && client != null) {
            client.close();
        }
    }

    private Reader<T> newReader(int schemaId, String topic) {
        try {
            return buildReader(schemaId, topic);
        } catch (SerializationException e) {
            throw e;
        } catch (RuntimeException e) {
            // A schema Avro cannot work with (a registry answer that resolves oddly) is the record's:
            // its schema id points at it.
            throw new SerializationException("Cannot build a reader for schema id " + schemaId + " on topic " + topic
                    + ": " + e, e);
        }
    }

    private Reader<T> buildReader(int schemaId, String topic) {
        Schema writer = writerSchema(schemaId, topic);
        Class<?> target = type != null ? type : SpecificData.get().getClass(writer);
        if (target == null || !SpecificRecord.class.isAssignableFrom(target)) {
            throw new SerializationException("No generated Avro class for " + writer.getFullName() + " (schema id "
                    + schemaId + ", topic " + topic + ") on the classpath");
        }
        SpecificData model = SpecificData.getForClass(target);
        Schema readerSchema = model.getSchema(target);
        SchemaCompatibility.SchemaPairCompatibility pair =
                SchemaCompatibility.checkReaderWriterCompatibility(readerSchema, writer);
        if (pair.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            throw new SerializationException("Schema id " + schemaId + " (" + writer.getFullName() + ") on topic "
                    + topic + " cannot be read as " + target.getName() + ": " + pair.getDescription());
        }
        @SuppressWarnings("unchecked")
        SpecificDatumReader<T> reader = new SpecificDatumReader<>(writer, readerSchema, model);
        return new Reader<>(reader, ZeroByteItems.in(writer));
    }

    /** An HTTP 5xx status or a Confluent 500xx error code. */
    private static boolean serverSide(int errorCode) {
        return (errorCode >= 500 && errorCode < 600) || (errorCode >= 50000 && errorCode < 60000);
    }

    private Schema writerSchema(int schemaId, String topic) {
        try {
            return client.getSchemaById(schemaId);
        } catch (SchemaNotFoundException e) {
            throw new SerializationException("Unknown schema id " + schemaId + " on topic " + topic
                    + ": the schema registry at " + client.url() + " has no schema with this id", e);
        } catch (RegistryUnavailableException e) {
            throw new SerializationException("Cannot read schema id " + schemaId + " on topic " + topic + ": "
                    + e.getMessage(), e);
        } catch (SchemaRegistryException e) {
            String message = "Cannot read schema id " + schemaId + " on topic " + topic + ": schema registry at "
                    + client.url() + " failed (error " + e.errorCode() + "): " + e.getMessage();
            if (serverSide(e.errorCode())) {
                // The registry itself failed (HTTP 5xx, Confluent 500xx): an outage, not the record's fault.
                throw new SerializationException(message, new RegistryUnavailableException(message, e));
            }
            throw new SerializationException(message, e);
        }
    }
}
