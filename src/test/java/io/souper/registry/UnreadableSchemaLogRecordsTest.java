package io.souper.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.souper.kafka.EmbeddedKafkaBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records on {@code _schemas} that the registry cannot use (written by hand or by another tool) are
 * skipped, as Confluent's registry skips them: the registry starts again and serves every good schema.
 */
class UnreadableSchemaLogRecordsTest {
    @TempDir
    Path dataDir;

    @Test
    void garbageOnTheSchemasTopicDoesNotStopTheRegistryFromStartingAgain() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir)) {
            try (SchemaRegistryServer server = new SchemaRegistryServer(broker.bootstrapServers(), 0)) {
                SchemaRegistryClient client = new HttpSchemaRegistryClient(server.url());
                assertThat(client.register("a-value", Schemas.V1)).isEqualTo(1);
                assertThat(client.register("b-value", Schemas.OTHER)).isEqualTo(2);
            }
            String schemaKey = "{\"keytype\":\"SCHEMA\",\"subject\":\"x-value\",\"version\":1,\"magic\":1}";
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                    new ByteArraySerializer(), new ByteArraySerializer())) {
                send(producer, "not json at all", "\u0000\u0001garbage");
                send(producer, schemaKey, "{\"subject\":\"x-value\",\"version\":1,\"id\":9,\"schema\":\"{not avro\"}");
                send(producer, schemaKey, "{\"subject\":\"x-value\",\"version\":\"one\",\"id\":9,\"schema\":\"\\\"int\\\"\"}");
                send(producer, "{\"keytype\":\"CONFIG\",\"subject\":null,\"magic\":0}",
                        "{\"compatibilityLevel\":\"SOMETIMES\"}");
                send(producer, "[1, 2]", "{}");
            }

            try (SchemaRegistryServer restarted = new SchemaRegistryServer(broker.bootstrapServers(), 0)) {
                SchemaRegistryClient client = new HttpSchemaRegistryClient(restarted.url());
                assertThat(client.getSchemaById(1)).isEqualTo(Schemas.V1);
                assertThat(client.getSchemaById(2)).isEqualTo(Schemas.OTHER);
                assertThat(client.subjects()).containsExactly("a-value", "b-value");
                assertThat(client.getCompatibility()).isEqualTo(CompatibilityLevel.BACKWARD);
                // and it still writes: the next id follows the good ones
                assertThat(client.register("c-value", Schemas.V3_NO_DEFAULT)).isEqualTo(3);
            }
        }
    }

    @Test
    void eachWayARecordCanBeUnusableIsNamed() {
        byte[] schemaKey = bytes("{\"keytype\":\"SCHEMA\",\"subject\":\"s\",\"version\":1,\"magic\":1}");

        assertThatThrownBy(() -> SchemaLogCodec.decode(bytes("\u0000garbage"), bytes("{}")))
                .isInstanceOf(SchemaLogCodec.UnreadableRecordException.class).hasMessageContaining("key is not JSON");
        assertThatThrownBy(() -> SchemaLogCodec.decode(bytes("\"just a string\""), bytes("{}")))
                .isInstanceOf(SchemaLogCodec.UnreadableRecordException.class).hasMessageContaining("not a JSON object");
        assertThatThrownBy(() -> SchemaLogCodec.decode(schemaKey, bytes("{\"subject\":\"s\",\"version\":1,\"id\":0,"
                + "\"schema\":\"\\\"int\\\"\"}")))
                .isInstanceOf(SchemaLogCodec.UnreadableRecordException.class).hasMessageContaining("'id'");
        assertThatThrownBy(() -> SchemaLogCodec.decode(schemaKey, bytes("{\"subject\":\"s\",\"version\":1,\"id\":4,"
                + "\"schema\":\"{\\\"type\\\":\\\"nope\\\"}\"}")))
                .isInstanceOf(SchemaLogCodec.UnreadableRecordException.class)
                .hasMessageContaining("(id 4) is not a valid Avro schema");
        assertThatThrownBy(() -> SchemaLogCodec.decode(bytes("{\"keytype\":\"CONFIG\",\"subject\":7,\"magic\":0}"),
                bytes("{\"compatibilityLevel\":\"FULL\"}")))
                .isInstanceOf(SchemaLogCodec.UnreadableRecordException.class).hasMessageContaining("not a string");
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String key, String value) throws Exception {
        producer.send(new ProducerRecord<>(SchemaRegistryServer.DEFAULT_TOPIC, 0, bytes(key), bytes(value)))
                .get(30, TimeUnit.SECONDS);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
