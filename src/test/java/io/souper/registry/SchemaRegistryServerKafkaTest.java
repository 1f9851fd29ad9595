package io.souper.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.souper.kafka.EmbeddedKafkaBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry's state lives in Kafka: restarts of the server, and of the broker, keep every id. */
class SchemaRegistryServerKafkaTest {
    @TempDir
    Path dataDir;

    @Test
    void idsVersionsAndLevelsSurviveServerAndBrokerRestarts() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir)) {
            try (SchemaRegistryServer server = new SchemaRegistryServer(broker.bootstrapServers(), 0)) {
                SchemaRegistryClient client = new HttpSchemaRegistryClient(server.url());
                assertThat(client.register("a-value", Schemas.V1)).isEqualTo(1);
                assertThat(client.register("a-value", Schemas.V1)).isEqualTo(1);
                assertThat(client.register("b-value", Schemas.OTHER)).isEqualTo(2);
                assertThat(client.register("a-value", Schemas.V2)).isEqualTo(3);
                client.setCompatibility("b-value", CompatibilityLevel.NONE);
            }
            assertSchemasTopicIsCompactedWithOnePartition(broker.bootstrapServers());
            List<ConsumerRecord<String, String>> records = readSchemasTopic(broker.bootstrapServers());
            assertThat(records).extracting(ConsumerRecord::key).containsExactly(
                    "{\"keytype\":\"SCHEMA\",\"subject\":\"a-value\",\"version\":1,\"magic\":1}",
                    "{\"keytype\":\"SCHEMA\",\"subject\":\"b-value\",\"version\":1,\"magic\":1}",
                    "{\"keytype\":\"SCHEMA\",\"subject\":\"a-value\",\"version\":2,\"magic\":1}",
                    "{\"keytype\":\"CONFIG\",\"subject\":\"b-value\",\"magic\":0}");

            try (SchemaRegistryServer restarted = new SchemaRegistryServer(broker.bootstrapServers(), 0)) {
                SchemaRegistryClient client = new HttpSchemaRegistryClient(restarted.url());
                assertThat(client.getSchemaById(3)).isEqualTo(Schemas.V2);
                assertThat(client.lookup("a-value", Schemas.V1).id()).isEqualTo(1);
                assertThat(client.getCompatibility("b-value")).isEqualTo(CompatibilityLevel.NONE);
                assertThat(client.register("c-value", Schemas.V3_NO_DEFAULT)).isEqualTo(4);
            }
        }
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir);
             SchemaRegistryServer server = new SchemaRegistryServer(broker.bootstrapServers(), 0)) {
            SchemaRegistryClient client = new HttpSchemaRegistryClient(server.url());
            assertThat(client.subjects()).containsExactly("a-value", "b-value", "c-value");
            assertThat(client.getLatest("a-value")).isEqualTo(new RegisteredSchema("a-value", 2, 3, Schemas.V2));
            assertThat(client.getLatest("c-value").id()).isEqualTo(4);
        }
    }

    private static void assertSchemasTopicIsCompactedWithOnePartition(String bootstrap) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            TopicDescription description = admin.describeTopics(List.of("_schemas")).allTopicNames().get().get("_schemas");
            assertThat(description.partitions()).hasSize(1);
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "_schemas");
            assertThat(admin.describeConfigs(List.of(resource)).all().get().get(resource)
                    .get("cleanup.policy").value()).isEqualTo("compact");
        }
    }

    private static List<ConsumerRecord<String, String>> readSchemasTopic(String bootstrap) {
        TopicPartition partition = new TopicPartition("_schemas", 0);
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(
                Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            while (consumer.position(partition) < end) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        assertThat(records).allSatisfy(r -> assertThat(r.value().getBytes(StandardCharsets.UTF_8)).isNotEmpty());
        return records;
    }
}
