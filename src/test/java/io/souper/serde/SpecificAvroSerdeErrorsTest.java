package io.souper.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.souper.events.CheckpointReady;
import io.souper.events.SoupDefinition;
import io.souper.registry.HttpSchemaRegistryClient;
import io.souper.registry.InMemorySchemaRegistryClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

/** Each way a value can fail to (de)serialize gives a SerializationException that says what was wrong. */
class SpecificAvroSerdeErrorsTest {
    private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    private final SpecificAvroSerializer<CheckpointReady> serializer = new SpecificAvroSerializer<>(registry);
    private final SpecificAvroDeserializer<CheckpointReady> deserializer = new SpecificAvroDeserializer<>(registry);

    @Test
    void anUnknownMagicByteIsNamed() {
        byte[] bytes = serializer.serialize("t", SampleEvents.checkpointReady());
        bytes[0] = 0x7b; // '{': somebody wrote JSON

        assertThatThrownBy(() -> deserializer.deserialize("t", bytes))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("Unknown magic byte 0x7b")
                .hasMessageContaining("topic t");
    }

    @Test
    void anUnknownSchemaIdIsNamed() {
        byte[] bytes = {0, 0, 0, 0, 42, 2, 'x'};

        assertThatThrownBy(() -> deserializer.deserialize("t", bytes))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("Unknown schema id 42")
                .hasMessageContaining(registry.url());
    }

    @Test
    void aPayloadShorterThanTheHeaderSaysHowManyBytesItHas() {
        assertThatThrownBy(() -> deserializer.deserialize("t", new byte[] {0, 0, 1}))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("Truncated payload")
                .hasMessageContaining("3 bytes");
    }

    @Test
    void aTruncatedBodySaysHowManyBytesItHas() {
        byte[] whole = serializer.serialize("t", SampleEvents.checkpointReady());
        byte[] cut = Arrays.copyOf(whole, whole.length - 4);

        assertThatThrownBy(() -> deserializer.deserialize("t", cut))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("Truncated payload: " + cut.length + " bytes")
                .hasMessageContaining("io.souper.events.CheckpointReady");
    }

    @Test
    void bytesAfterTheRecordAreRefused() {
        byte[] whole = serializer.serialize("t", SampleEvents.checkpointReady());
        byte[] longer = Arrays.copyOf(whole, whole.length + 1);

        assertThatThrownBy(() -> deserializer.deserialize("t", longer))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("bytes left after a complete record");
    }

    @Test
    void anUnreachableRegistryIsNamedByUrl() throws IOException {
        String url = "http://127.0.0.1:" + closedPort();
        HttpSchemaRegistryClient unreachable =
                new HttpSchemaRegistryClient(url, Duration.ofSeconds(2), Duration.ofSeconds(2));

        assertThatThrownBy(() -> new SpecificAvroSerializer<CheckpointReady>(unreachable)
                .serialize("t", SampleEvents.checkpointReady()))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("not reachable at " + url);
        assertThatThrownBy(() -> new SpecificAvroDeserializer<CheckpointReady>(unreachable)
                .deserialize("t", new byte[] {0, 0, 0, 0, 1, 2}))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("not reachable at " + url);
    }

    @Test
    void anIncompatibleSchemaIsRefusedOnRegister() {
        Schema unrelated = new Schema.Parser().parse("""
                {"type":"record","name":"CheckpointReady","namespace":"io.souper.events",
                 "fields":[{"name":"legacy","type":"int"}]}""");
        registry.register("t-value", unrelated);

        assertThatThrownBy(() -> serializer.serialize("t", SampleEvents.checkpointReady()))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("incompatible")
                .hasMessageContaining("t-value")
                .hasMessageContaining("BACKWARD")
                .hasMessageContaining("checkpointId");
    }

    @Test
    void withoutAutoRegistrationAnUnregisteredSchemaIsRefused() {
        serializer.configure(Map.of(AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, false), false);

        assertThatThrownBy(() -> serializer.serialize("t", SampleEvents.checkpointReady()))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("not registered")
                .hasMessageContaining("auto.register.schemas=false");
    }

    @Test
    void aTypedDeserializerRefusesAnotherRecordType() {
        byte[] checkpoint = serializer.serialize("t", SampleEvents.checkpointReady());
        SpecificAvroDeserializer<SoupDefinition> definitions = new SpecificAvroDeserializer<>(registry, SoupDefinition.class);

        assertThatThrownBy(() -> definitions.deserialize("t", checkpoint))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("io.souper.events.CheckpointReady")
                .hasMessageContaining("cannot be read as io.souper.events.SoupDefinition");
    }

    @Test
    void aWriterSchemaWithoutAGeneratedClassIsNamed() throws IOException {
        Schema foreign = new Schema.Parser().parse("""
                {"type":"record","name":"Foreign","namespace":"com.example","fields":[{"name":"a","type":"int"}]}""");
        int id = registry.register("f-value", foreign);
        org.apache.avro.generic.GenericRecord record = new org.apache.avro.generic.GenericData.Record(foreign);
        record.put("a", 1);

        assertThatThrownBy(() -> deserializer.deserialize("f", SpecificAvroSerdeTest.framed(id, foreign, record)))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("No generated Avro class for com.example.Foreign");
    }

    @Test
    void configurationMistakesAreConfigErrors() {
        assertThatThrownBy(() -> new SpecificAvroSerializer<CheckpointReady>().configure(Map.of(), false))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("schema.registry.url is required");
        assertThatThrownBy(() -> new SpecificAvroDeserializer<CheckpointReady>()
                .configure(Map.of("schema.registry.url", "ftp://nowhere"), false))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("ftp://nowhere");
        assertThatThrownBy(() -> new SpecificAvroDeserializer<CheckpointReady>()
                .configure(Map.of("schema.registry.url", "mock://x", "specific.avro.reader", "false"), false))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("specific.avro.reader");
        assertThatThrownBy(() -> new SpecificAvroSerializer<CheckpointReady>().serialize("t", SampleEvents.checkpointReady()))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("not configured");
        InMemorySchemaRegistryClient.dropScope("x");
    }

    @Test
    void aRecordWithAMissingRequiredFieldIsRefusedBeforeWriting() {
        CheckpointReady broken = SampleEvents.checkpointReady();
        broken.setRunId(null);

        assertThatThrownBy(() -> serializer.serialize("t", broken))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("io.souper.events.CheckpointReady")
                .hasMessageContaining("does not match its schema");
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
