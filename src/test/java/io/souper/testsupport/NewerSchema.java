package io.souper.testsupport;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.souper.registry.SchemaRegistryClient;
import io.souper.serde.WireFormat;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Events as a newer producer writes them: the record's schema with one more optional field
 * ({@code producerBuild}), registered as the next version of the topic's subject (a
 * BACKWARD-compatible change). A consumer meets its schema id for the first time when such an
 * event arrives and must ask the registry then, which is what a registry-outage test needs: every
 * id it has seen before is cached.
 */
public final class NewerSchema<T extends SpecificRecord> {

    private final Schema current;
    private final Schema schema;
    private final int schemaId;

    public NewerSchema(SchemaRegistryClient registry, String topic, Schema current) {
        this.current = current;
        try {
            ObjectNode json = (ObjectNode) new ObjectMapper().readTree(current.toString());
            ObjectNode field = json.withArray("fields").addObject();
            field.put("name", "producerBuild");
            field.putArray("type").add("null").add("string");
            field.putNull("default");
            schema = new Schema.Parser().parse(json.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        schemaId = registry.register(topic + "-value", schema);
    }

    /** {@code event} in the Confluent wire format, written with the newer schema. */
    public byte[] serialize(T event) {
        try {
            ByteArrayOutputStream plain = new ByteArrayOutputStream();
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(plain, null);
            new SpecificDatumWriter<T>(current).write(event, encoder);
            encoder.flush();
            GenericRecord newer = new GenericDatumReader<GenericRecord>(current, schema)
                    .read(null, DecoderFactory.get().binaryDecoder(plain.toByteArray(), null));
            newer.put("producerBuild", "2.0.0");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(WireFormat.header(schemaId));
            encoder = EncoderFactory.get().binaryEncoder(out, null);
            new GenericDatumWriter<GenericRecord>(schema).write(newer, encoder);
            encoder.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
