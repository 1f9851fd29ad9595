package io.souper.kafka;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

import java.util.HashMap;
import java.util.Map;

/**
 * Client settings in one place, built from where Kafka and the schema registry are.
 * Producers are idempotent with acks=all so a retried send never duplicates an event.
 */
public record KafkaClientConfigs(String bootstrapServers, String schemaRegistryUrl) {

    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";

    public Map<String, Object> admin() {
        Map<String, Object> m = new HashMap<>();
        m.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        m.put(CommonClientConfigs.CLIENT_ID_CONFIG, "souper-admin");
        return m;
    }

    public Map<String, Object> producer(String clientId) {
        Map<String, Object> m = admin();
        m.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        m.put(ProducerConfig.ACKS_CONFIG, "all");
        m.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        m.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        m.put(SCHEMA_REGISTRY_URL, schemaRegistryUrl);
        return m;
    }

    public Map<String, Object> consumer(String groupId, String clientId) {
        Map<String, Object> m = admin();
        m.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        m.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        m.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        m.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // read only committed output of the exactly-once souper
        m.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        m.put(SCHEMA_REGISTRY_URL, schemaRegistryUrl);
        return m;
    }
}
