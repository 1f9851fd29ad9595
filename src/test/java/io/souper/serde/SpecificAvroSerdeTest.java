package io.souper.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.souper.events.CheckpointReady;
import io.souper.registry.InMemorySchemaRegistryClient;
import io.souper.registry.RegisteredSchema;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SpecificAvroSerdeTest {
    private static final String SCOPE = "serde-test";
    private static final Map<String, Object> MOCK = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE);

    @AfterEach
    void dropScope() {
        InMemorySchemaRegistryClient.dropScope(SCOPE);
    }

    @Test
    void everyEventTypeSurvivesARoundTripThroughSeparatelyConfiguredSerdes() {
        try (SpecificAvroSerde<SpecificRecord> producerSide = new SpecificAvroSerde<>();
             SpecificAvroSerde<SpecificRecord> consumerSide = new SpecificAvroSerde<>()) {
            producerSide.configure(MOCK, false);
            consumerSide.configure(MOCK, false);
            for (SpecificRecord event : SampleEvents.all()) {
                String topic = "topic-" + event.getSchema().getName();
                byte[] bytes = producerSide.serializer().serialize(topic, event);
                SpecificRecord back = consumerSide.deserializer().deserialize(topic, bytes);
                assertThat(back).as(event.getSchema().getName()).isEqualTo(event).isInstanceOf(event.getClass());
            }
        }
        // the mock:// scope is one registry shared by both serdes
        assertThat(InMemorySchemaRegistryClient.forScope(SCOPE).subjects()).containsExactly(
                "topic-CheckpointReady-value", "topic-DeadLetter-value", "topic-EvaluationRequest-value",
                "topic-EvaluationResult-value", "topic-SoupDecision-value", "topic-SoupDefinition-value",
                "topic-SoupUpdated-value");
    }

    @Test
    void nullIsATombstoneBothWays() {
        SpecificAvroSerde<CheckpointReady> serde = new SpecificAvroSerde<>(new InMemorySchemaRegistryClient());
        assertThat(serde.serializer().serialize("t", null)).isNull();
        assertThat(serde.deserializer().deserialize("t", null)).isNull();
    }

    @Test
    void subjectsFollowTheConfiguredStrategy() {
        Schema schema = CheckpointReady.getClassSchema();
        assertThat(subjectsAfterSerializing(Map.of(), false)).containsExactly("t-value");
        assertThat(subjectsAfterSerializing(Map.of(), true)).containsExactly("t-key");
        assertThat(subjectsAfterSerializing(Map.of(AvroSerdeConfig.VALUE_SUBJECT_NAME_STRATEGY,
                "io.confluent.kafka.serializers.subject.RecordNameStrategy"), false))
                .containsExactly(schema.getFullName());
        assertThat(subjectsAfterSerializing(Map.of(AvroSerdeConfig.VALUE_SUBJECT_NAME_STRATEGY,
                TopicRecordNameStrategy.class), false))
                .containsExactly("t-" + schema.getFullName());
        assertThat(subjectsAfterSerializing(Map.of(AvroSerdeConfig.KEY_SUBJECT_NAME_STRATEGY,
                "TopicRecordNameStrategy"), true))
                .containsExactly("t-" + schema.getFullName());
    }

    @Test
    void anUnknownStrategyIsAConfigError() {
        Map<String, Object> config = new HashMap<>(MOCK);
        config.put(AvroSerdeConfig.VALUE_SUBJECT_NAME_STRATEGY, "com.example.NoSuchStrategy");
        assertThatThrownBy(() -> new SpecificAvroSerializer<>().configure(config, false))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("com.example.NoSuchStrategy")
                .hasMessageContaining("value.subject.name.strategy");
    }

    @Test
    void readsDataWrittenWithAnOlderSchemaFillingDefaults() throws IOException {
        InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
        Schema older = new Schema.Parser().parse("""
                {"type":"record","name":"CheckpointReady","namespace":"io.souper.events","fields":[
                  {"name":"checkpointId","type":"string"},
                  {"name":"soupId","type":"string"},
                  {"name":"uri","type":"string"},
                  {"name":"runId","type":"string"},
                  {"name":"producedAt","type":{"type":"long","logicalType":"timestamp-millis"}}]}""");
        int olderId = registry.register("t-value", older);
        GenericRecord old = new GenericData.Record(older);
        old.put("checkpointId", "c1");
        old.put("soupId", "s1");
        old.put("uri", "file:///c1");
        old.put("runId", "r1");
        old.put("producedAt", SampleEvents.AT.toEpochMilli());

        CheckpointReady read = new SpecificAvroDeserializer<CheckpointReady>(registry)
                .deserialize("t", framed(olderId, older, old));

        assertThat(read.getCheckpointId()).isEqualTo("c1");
        assertThat(read.getProducedAt()).isEqualTo(SampleEvents.AT);
        assertThat(read.getFormat()).isEqualTo("safetensors");
        assertThat(read.getSha256()).isNull();
        assertThat(read.getStep()).isZero();
        assertThat(read.getHyperParameters()).isEmpty();
    }

    @Test
    void readsDataWrittenWithANewerSchemaIgnoringTheNewField() throws IOException {
        InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
        Schema newer = withExtraField(CheckpointReady.getClassSchema());
        int newerId = registry.register("t-value", newer);
        CheckpointReady event = SampleEvents.checkpointReady();
        GenericRecord record = asGeneric(event, newer);
        record.put("gpu", "a100");

        CheckpointReady read = new SpecificAvroDeserializer<CheckpointReady>(registry)
                .deserialize("t", framed(newerId, newer, record));

        assertThat(read).isEqualTo(event);
    }

    @Test
    void useLatestVersionWritesWithTheLatestRegisteredSchema() throws IOException {
        InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
        registry.register("t-value", CheckpointReady.getClassSchema());
        Schema newer = withExtraField(CheckpointReady.getClassSchema());
        int latestId = registry.register("t-value", newer);
        SpecificAvroSerializer<CheckpointReady> serializer = new SpecificAvroSerializer<>(registry);
        serializer.configure(Map.of(AvroSerdeConfig.USE_LATEST_VERSION, true,
                AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, false), false);
        CheckpointReady event = SampleEvents.checkpointReady();

        byte[] bytes = serializer.serialize("t", event);

        assertThat(WireFormat.schemaId(bytes, "t")).isEqualTo(latestId);
        GenericRecord asLatest = new GenericDatumReader<GenericRecord>(newer).read(null,
                DecoderFactory.get().binaryDecoder(bytes, 5, bytes.length - 5, null));
        assertThat(asLatest.get("gpu").toString()).isEqualTo("none");
        assertThat(asLatest.get("runId").toString()).isEqualTo("run-7");
        assertThat(new SpecificAvroDeserializer<CheckpointReady>(registry).deserialize("t", bytes)).isEqualTo(event);
        assertThat(registry.getVersions("t-value")).containsExactly(1, 2);
    }

    @Test
    void theSameSchemaKeepsItsIdAcrossSerializersAndNewVersionsGetNewIds() {
        InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
        byte[] first = new SpecificAvroSerializer<CheckpointReady>(registry).serialize("t", SampleEvents.checkpointReady());
        byte[] second = new SpecificAvroSerializer<CheckpointReady>(registry).serialize("u", SampleEvents.checkpointReady());
        byte[] other = new SpecificAvroSerializer<SpecificRecord>(registry).serialize("t2", SampleEvents.soupDecision());

        assertThat(WireFormat.schemaId(first, "t")).isEqualTo(1);
        assertThat(WireFormat.schemaId(second, "u")).isEqualTo(1);
        assertThat(WireFormat.schemaId(other, "t2")).isEqualTo(2);
        assertThat(Arrays.copyOfRange(first, 5, first.length)).isEqualTo(Arrays.copyOfRange(second, 5, second.length));
        assertThat(registry.getLatest("u-value")).isEqualTo(
                new RegisteredSchema("u-value", 1, 1, JavaSpecificProperties.strip(CheckpointReady.getClassSchema())));
    }

    @Test
    void registeredSchemasCarryNoJavaHintsUnlessAskedTo() {
        InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
        new SpecificAvroSerializer<CheckpointReady>(registry).serialize("t", SampleEvents.checkpointReady());
        SpecificAvroSerializer<CheckpointReady> keeping = new SpecificAvroSerializer<>(registry);
        keeping.configure(Map.of(AvroSerdeConfig.REMOVE_JAVA_PROPERTIES, false), false);
        keeping.serialize("u", SampleEvents.checkpointReady());

        Schema neutral = registry.getLatest("t-value").schema();
        assertThat(CheckpointReady.getClassSchema().toString()).contains("avro.java.string");
        assertThat(neutral.toString()).doesNotContain("avro.java.string");
        assertThat(neutral.getField("hyperParameters").defaultVal()).isEqualTo(Map.of());
        assertThat(neutral.getField("format").defaultVal()).isEqualTo("safetensors");
        assertThat(registry.getLatest("u-value").schema()).isEqualTo(CheckpointReady.getClassSchema());
        assertThat(registry.getLatest("u-value").id()).isEqualTo(2);
    }

    private static List<String> subjectsAfterSerializing(Map<String, Object> extra, boolean isKey) {
        InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
        SpecificAvroSerializer<CheckpointReady> serializer = new SpecificAvroSerializer<>(registry);
        serializer.configure(extra, isKey);
        serializer.serialize("t", SampleEvents.checkpointReady());
        return registry.subjects();
    }

    /** CheckpointReady plus {"name":"gpu","type":"string","default":"none"}. */
    static Schema withExtraField(Schema base) {
        String json = base.toString();
        String extended = json.substring(0, json.lastIndexOf(']'))
                + ",{\"name\":\"gpu\",\"type\":\"string\",\"default\":\"none\"}]}";
        return new Schema.Parser().parse(extended);
    }

    private static GenericRecord asGeneric(CheckpointReady event, Schema schema) {
        GenericRecord record = new GenericData.Record(schema);
        for (Schema.Field field : CheckpointReady.getClassSchema().getFields()) {
            Object value = event.get(field.pos());
            record.put(field.name(), value instanceof java.time.Instant at ? at.toEpochMilli() : value);
        }
        return record;
    }

    static byte[] framed(int schemaId, Schema schema, GenericRecord record) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(WireFormat.header(schemaId));
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }
}
