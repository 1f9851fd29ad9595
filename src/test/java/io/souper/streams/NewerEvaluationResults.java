package io.souper.streams;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.souper.events.EvaluationResult;
import io.souper.kafka.TopicNames;
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

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Results as a newer evaluator writes them: {@link EvaluationResult} with one more optional field,
 * registered as the next version of the topic's subject (a BACKWARD-compatible change). A souper
 * meets its schema id for the first time when the first such result arrives, so it has to ask the
 * registry then: which is what an outage test needs, since every id it has seen before is cached.
 */
final class NewerEvaluationResults {

    private final Schema schema;
    private final int schemaId;

    NewerEvaluationResults(SchemaRegistryClient registry) {
        try {
            ObjectNode json = (ObjectNode) new ObjectMapper().readTree(EvaluationResult.getClassSchema().toString());
            ObjectNode field = json.withArray("fields").addObject();
            field.put("name", "evaluatorBuild");
            field.putArray("type").add("null").add("string");
            field.putNull("default");
            schema = new Schema.Parser().parse(json.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        schemaId = registry.register(TopicNames.EVALUATIONS + "-value", schema);
    }

    int schemaId() {
        return schemaId;
    }

    /** {@code result} in the Confluent wire format, written with the newer schema. */
    byte[] serialize(EvaluationResult result) {
        try {
            ByteArrayOutputStream current = new ByteArrayOutputStream();
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(current, null);
            new SpecificDatumWriter<>(EvaluationResult.class).write(result, encoder);
            encoder.flush();
            // the same fields read into the newer schema (the new one takes its default), then set
            GenericRecord newer = new GenericDatumReader<GenericRecord>(EvaluationResult.getClassSchema(), schema)
                    .read(null, DecoderFactory.get().binaryDecoder(current.toByteArray(), null));
            newer.put("evaluatorBuild", "2.0.0");
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
