package io.souper.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.souper.events.AcceptRule;
import io.souper.events.DeadLetter;
import io.souper.events.DecisionKind;
import io.souper.events.EvaluationError;
import io.souper.events.EvaluationResult;
import io.souper.events.IngredientRef;
import io.souper.events.SoupDecision;
import io.souper.events.SoupIngredient;
import io.souper.events.SoupPolicy;
import io.souper.events.SoupUpdated;
import io.souper.events.SplitMetrics;
import io.souper.events.SubjectKind;
import io.souper.registry.InMemorySchemaRegistryClient;
import io.souper.serde.SpecificAvroDeserializer;
import io.souper.serde.SpecificAvroSerializer;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link AvroJson} (what {@code souper tail}, {@code soup show} and the API print) against
 * what Confluent's own Python client decodes from the same bytes: Java writes each event in
 * the registry wire format, Confluent's {@code MessageSerializer} (python3-confluent-kafka,
 * the decoder of its AvroConsumer) decodes it, and the two JSON documents must be equal:
 * arrays as arrays (also empty ones), maps as objects, unions unwrapped. Python has no JSON
 * for datetimes and bytes; it prints them as AvroJson promises to: ISO-8601 and base64. The
 * registry is a stand-in on the Python side (a schema by id); the decoding is Confluent's.
 */
class AvroJsonPythonInteropTest {

    private static final Instant AT = Instant.ofEpochMilli(1_700_000_000_123L);

    private static final String DECODE = """
            import base64, datetime, json, sys
            import avro.schema
            from confluent_kafka.avro.serializer.message_serializer import MessageSerializer

            class Registry:
                def __init__(self, schemas):
                    self.schemas = schemas
                def get_by_id(self, schema_id):
                    return self.schemas[schema_id]

            def plain(value):
                if isinstance(value, datetime.datetime):
                    utc = value.astimezone(datetime.timezone.utc)
                    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")
                if isinstance(value, bytes):
                    return base64.b64encode(value).decode("ascii")
                if isinstance(value, dict):
                    return {k: plain(v) for k, v in value.items()}
                if isinstance(value, list):
                    return [plain(v) for v in value]
                return value

            events = json.load(open(sys.argv[1]))
            parse = getattr(avro.schema, "parse", None) or avro.schema.Parse
            schemas = {e["schemaId"]: parse(e["schema"]) for e in events}
            serializer = MessageSerializer(Registry(schemas))
            print(json.dumps([plain(serializer.decode_message(bytes.fromhex(e["hex"]))) for e in events]))
            """;

    @TempDir
    Path tmp;

    @Test
    void arraysMapsUnionsTimesAndBytesRenderAsConfluentsPythonClientDecodesThem() throws Exception {
        List<SpecificRecord> events = List.of(decision(List.of()), decision(List.of("ckpt-1", "ckpt-7")),
                updated(), result(), deadLetter());
        InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
        SpecificAvroSerializer<SpecificRecord> serializer = new SpecificAvroSerializer<>(registry);
        SpecificAvroDeserializer<SpecificRecord> deserializer = new SpecificAvroDeserializer<>(registry);
        ArrayNode input = Json.MAPPER.createArrayNode();
        List<SpecificRecord> decoded = new ArrayList<>();
        for (SpecificRecord event : events) {
            String topic = "souper.interop." + event.getSchema().getName();
            byte[] bytes = serializer.serialize(topic, event);
            // what tail and the API render: records read back from bytes (Avro's own array type inside)
            decoded.add(deserializer.deserialize(topic, bytes));
            ObjectNode e = input.addObject();
            e.put("schemaId", ByteBuffer.wrap(bytes, 1, 4).getInt());
            e.put("schema", event.getSchema().toString());
            e.put("hex", HexFormat.of().formatHex(bytes));
        }
        Path inputFile = Files.writeString(tmp.resolve("events.json"), Json.write(input));
        Path script = Files.writeString(tmp.resolve("decode.py"), DECODE);

        JsonNode python = Json.MAPPER.readTree(run("/usr/bin/python3", script.toString(), inputFile.toString()));

        assertThat(python).hasSize(events.size());
        for (int i = 0; i < events.size(); i++) {
            // through text once, so Java longs and Python ints compare as the same JSON number
            JsonNode java = Json.MAPPER.readTree(AvroJson.toJsonLine(decoded.get(i)));
            assertThat(java).as(events.get(i).getSchema().getName() + " #" + i).isEqualTo(python.get(i));
        }
        assertThat(decoded.get(1)).isEqualTo(events.get(1));
        JsonNode empty = Json.MAPPER.readTree(AvroJson.toJsonLine(decoded.get(0)));
        assertThat(empty.get("candidateIngredients").isArray()).as("the issue's \"candidateIngredients\":\"[]\"").isTrue();
        JsonNode updated = Json.MAPPER.readTree(AvroJson.toJsonLine(decoded.get(2)));
        assertThat(updated.get("ingredients").get(0).get("hyperParameters").get("lr").asText()).isEqualTo("0.003");
        assertThat(updated.get("lastDecision").get("candidateIngredients").get(1).asText()).isEqualTo("ckpt-7");
    }

    private static String run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
        String out = new String(process.getInputStream().readAllBytes());
        String err = new String(process.getErrorStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("python3 failed (needs python3-confluent-kafka, python3-avro):\n" + err)
                .isZero();
        return out;
    }

    private static SoupDecision decision(List<String> candidate) {
        return SoupDecision.newBuilder()
                .setDecisionId("soup-a/12").setSoupId("soup-a").setSequence(12L).setSoupVersion(6L)
                .setKind(candidate.isEmpty() ? DecisionKind.SEEDED : DecisionKind.ACCEPTED)
                .setCheckpointId("ckpt-7").setCandidateIngredients(candidate)
                .setCandidateAccuracy(candidate.isEmpty() ? null : 0.9031).setSoupAccuracy(0.9024)
                .setAcceptRule(AcceptRule.GREATER_OR_EQUAL).setPolicy(SoupPolicy.ONLINE)
                .setRequestId(null).setReason("0.9031 >= 0.9024").setDecidedAt(AT)
                .build();
    }

    private static SoupUpdated updated() {
        return SoupUpdated.newBuilder()
                .setSoupId("soup-a").setVersion(6L).setPolicy(SoupPolicy.SORTED)
                .setIngredients(List.of(SoupIngredient.newBuilder()
                        .setCheckpointId("ckpt-1").setUri("file:///store/ckpt-1.safetensors")
                        .setSha256("ef".repeat(32)).setRunId("run-1").setHeldOutAccuracy(0.9024)
                        .setTestAccuracy(null).setHyperParameters(Map.of("lr", "0.003", "epochs", "2")).build()))
                .setHeldOut(metrics("held-out", 4512, 5000)).setTest(null)
                .setShifts(List.of(metrics("blur", 7000, 10000), metrics("noise", 1, 3)))
                .setArtifactUri("file:///store/soup-a/v6.safetensors").setArtifactSha256(null)
                .setScoredCount(7).setAcceptedCount(3).setRejectedCount(2).setPendingCount(1).setFailedCount(1)
                .setLastDecision(decision(List.of("ckpt-1", "ckpt-7"))).setUpdatedAt(AT)
                .build();
    }

    private static EvaluationResult result() {
        return EvaluationResult.newBuilder()
                .setSubjectId("req-3").setSoupId("soup-a").setSubjectKind(SubjectKind.CANDIDATE).setBaseVersion(5L)
                .setIngredients(List.of(new IngredientRef("ckpt-1", "file:///store/ckpt-1.safetensors", null),
                        new IngredientRef("ckpt-7", "file:///store/ckpt-7.safetensors", "12".repeat(32))))
                .setRunId(null).setHyperParameters(Map.of())
                .setHeldOut(metrics("held-out", 4512, 5000)).setTest(null).setShifts(List.of())
                .setDevice("cpu").setDurationMs(1234L)
                .setError(new EvaluationError("SHAPE_MISMATCH", "conv1.weight: [32,1,3,3] vs [16,1,3,3]", false))
                .setEvaluatedAt(AT)
                .build();
    }

    private static DeadLetter deadLetter() {
        return DeadLetter.newBuilder()
                .setOriginalTopic("souper.checkpoints").setPartition(2).setOffset(99L)
                .setKey(ByteBuffer.wrap(new byte[] {1, 2, 3})).setValue(ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 9, 42}))
                .setReasonCode("DESERIALIZATION_FAILED").setMessage("Unknown schema id 9").setComponent("evaluator")
                .setHeaders(Map.of("trace", "abc")).setFailedAt(AT)
                .build();
    }

    private static SplitMetrics metrics(String split, long correct, long total) {
        return new SplitMetrics(split, correct, total, (double) correct / total, null, java.util.Map.of());
    }
}
