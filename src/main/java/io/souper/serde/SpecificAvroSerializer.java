package io.souper.serde;

import io.souper.registry.IncompatibleSchemaException;
import io.souper.registry.RegisteredSchema;
import io.souper.registry.RegistryUnavailableException;
import io.souper.registry.SchemaNotFoundException;
import io.souper.registry.SchemaRegistryClient;
import io.souper.registry.SchemaRegistryException;
import io.souper.registry.SubjectNotFoundException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes generated Avro records in Confluent's wire format (0x00, 4-byte schema id, Avro binary),
 * registering or looking up the schema in a schema registry, so any Confluent deserializer reads
 * them. Configured with {@link AvroSerdeConfig}'s keys; constructed with a client, it works before
 * {@link #configure} with the defaults (value serializer, TopicNameStrategy, auto-registration).
 */
public class SpecificAvroSerializer<T extends SpecificRecord> implements Serializer<T> {
    private SchemaRegistryClient client;
    private boolean ownsClient;
    private boolean isKey;
    private boolean autoRegister = true;
    private boolean useLatestVersion;
    private boolean removeJavaProperties = true;
    private SubjectNameStrategy subjectNames = new TopicNameStrategy();
    private final Map<Class<?>, DatumWriter<Object>> writers = new ConcurrentHashMap<>();

    /** For Kafka's reflective construction: {@link #configure} must then supply schema.registry.url. */
    public SpecificAvroSerializer() {}

    /** Uses {@code client}; the URL in a later {@link #configure} is then ignored. */
    public SpecificAvroSerializer(SchemaRegistryClient client) {
        this.client = client;
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
        this.isKey = isKey;
        this.autoRegister = config.autoRegisterSchemas();
        this.useLatestVersion = config.useLatestVersion();
        this.removeJavaProperties = config.removeJavaProperties();
        this.subjectNames = config.subjectNameStrategy(isKey);
        if (client == null) {
            client = SerdeClients.fromConfig(config, configs);
            ownsClient = true;
        }
    }

    @Override
    public byte[] serialize(String topic, T record) {
        if (record == null) {
            return null;
        }
        if (client == null) {
            throw new SerializationException("SpecificAvroSerializer is not configured: call configure() with "
                    + AvroSerdeConfig.SCHEMA_REGISTRY_URL + " or construct it with a SchemaRegistryClient");
        }
        // What the registry sees; the bytes are the same either way.
        Schema schema = removeJavaProperties ? JavaSpecificProperties.strip(record.getSchema()) : record.getSchema();
        String subject = subjectNames.subjectName(topic, isKey, schema);
        String what = schema.getFullName() + " for topic " + topic + " (subject " + subject + ")";
        try {
            if (useLatestVersion) {
                RegisteredSchema latest = client.getLatest(subject);
                return frame(latest.id(), latest.schema().equals(schema)
                        ? encode(record, what)
                        : encodeAsLatest(record, latest, what));
            }
            int id = autoRegister ? client.register(subject, schema) : client.getId(subject, schema);
            return frame(id, encode(record, what));
        } catch (IncompatibleSchemaException e) {
            throw new SerializationException("Cannot serialize " + what + ": its schema is incompatible with"
                    + " the versions registered at " + client.url() + ": " + e.getMessage(), e);
        } catch (RegistryUnavailableException e) {
            throw new SerializationException("Cannot serialize " + what + ": " + e.getMessage(), e);
        } catch (SubjectNotFoundException | SchemaNotFoundException e) {
            throw new SerializationException("Cannot serialize " + what + ": schema not registered at "
                    + client.url() + " and " + (useLatestVersion ? AvroSerdeConfig.USE_LATEST_VERSION + "=true"
                    : AvroSerdeConfig.AUTO_REGISTER_SCHEMAS + "=false") + ": " + e.getMessage(), e);
        } catch (SchemaRegistryException e) {
            throw new SerializationException("Cannot serialize " + what + ": schema registry at " + client.url()
                    + " failed (error " + e.errorCode() + "): " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (ownsClient && client != null) {
            client.close();
        }
    }

    private static byte[] frame(int schemaId, byte[] body) {
        byte[] framed = new byte[WireFormat.HEADER_SIZE + body.length];
        System.arraycopy(WireFormat.header(schemaId), 0, framed, 0, WireFormat.HEADER_SIZE);
        System.arraycopy(body, 0, framed, WireFormat.HEADER_SIZE, body.length);
        return framed;
    }

    /** The record's Avro binary encoding with its own schema and its class's logical-type conversions. */
    private byte[] encode(T record, String what) {
        DatumWriter<Object> writer = writers.computeIfAbsent(record.getClass(), type -> {
            SpecificData model = SpecificData.getForClass(type);
            return new SpecificDatumWriter<>(record.getSchema(), model);
        });
        return write(writer, record, what);
    }

    /**
     * Re-encodes the record with the subject's latest schema: decode its own bytes with Avro schema
     * resolution (writer = record schema, reader = latest), then write with latest. Needs latest to be
     * able to read the record's schema; anything else would silently drop or invent data.
     */
    private byte[] encodeAsLatest(T record, RegisteredSchema latest, String what) {
        SchemaCompatibility.SchemaPairCompatibility pair =
                SchemaCompatibility.checkReaderWriterCompatibility(latest.schema(), record.getSchema());
        if (pair.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            throw new SerializationException("Cannot serialize " + what + " with latest version "
                    + latest.version() + " (id " + latest.id() + "): it cannot read the record's schema: "
                    + pair.getDescription());
        }
        byte[] own = encode(record, what);
        try {
            GenericDatumReader<Object> reader =
                    new GenericDatumReader<>(record.getSchema(), latest.schema(), GenericData.get());
            Object converted = reader.read(null, DecoderFactory.get().binaryDecoder(own, null));
            return write(new GenericDatumWriter<>(latest.schema(), GenericData.get()), converted, what);
        } catch (IOException | AvroRuntimeException e) {
            throw new SerializationException("Cannot convert " + what + " to latest version " + latest.version()
                    + ": " + e.getMessage(), e);
        }
    }

    private static byte[] write(DatumWriter<Object> writer, Object datum, String what) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            writer.write(datum, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            // NullPointerException / ClassCastException: a field holds what its schema forbids.
            throw new SerializationException("Cannot encode " + what + ": the record does not match its schema: "
                    + e, e);
        }
        return out.toByteArray();
    }
}
