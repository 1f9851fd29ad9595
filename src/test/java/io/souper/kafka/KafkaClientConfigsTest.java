package io.souper.kafka;

import io.souper.streams.SouperStreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KafkaClientConfigsTest {

    @TempDir
    Path dir;

    @Test
    void variablesFollowConfluentsNamingRule() {
        Map<String, String> env = Map.of(
                "SOUPER_KAFKA_SASL_MECHANISM", "PLAIN",
                "SOUPER_KAFKA_SASL_JAAS_CONFIG", "jaas",
                "SOUPER_KAFKA_SOME__UNDERSCORED", "u",
                "SOUPER_KAFKA_A___DASHED_NAME", "d",
                "SOUPER_KAFKA_CONFIG", "/the/option/file",
                "SOUPER_BOOTSTRAP_SERVERS", "not a client property",
                "PATH", "/usr/bin");
        assertThat(KafkaClientConfigs.fromEnvironment(env, KafkaClientConfigs.KAFKA_ENV_PREFIX)).isEqualTo(Map.of(
                "sasl.mechanism", "PLAIN",
                "sasl.jaas.config", "jaas",
                "some_underscored", "u",
                "a-dashed.name", "d"));
    }

    @Test
    void theEnvironmentWinsOverTheFileAndReachesEveryClient() throws Exception {
        Path kafka = Files.writeString(dir.resolve("kafka.properties"), """
                security.protocol=SASL_SSL
                sasl.mechanism=SCRAM-SHA-512
                linger.ms=50
                enable.auto.commit=true
                """);
        Path registry = Files.writeString(dir.resolve("registry.properties"), "basic.auth.user.info=a:b\n");
        KafkaClientConfigs clients = KafkaClientConfigs.load("broker:9093", "http://registry:8081", kafka, registry,
                Map.of("SOUPER_KAFKA_SASL_MECHANISM", "PLAIN",
                        "SOUPER_REGISTRY_BASIC_AUTH_CREDENTIALS_SOURCE", "USER_INFO"));

        assertThat(clients.registryProperties()).isEqualTo(Map.of("basic.auth.user.info", "a:b",
                "basic.auth.credentials.source", "USER_INFO"));
        for (Map<String, Object> config : java.util.List.of(clients.admin(), clients.producer("p"),
                clients.consumer("g", "c"))) {
            assertThat(config).containsEntry("security.protocol", "SASL_SSL")
                    .containsEntry("sasl.mechanism", "PLAIN")
                    .containsEntry("bootstrap.servers", "broker:9093");
        }
        // tuning may be overridden; what correctness needs may not
        assertThat(clients.producer("p")).containsEntry("linger.ms", "50").containsEntry("acks", "all");
        assertThat(clients.consumer("g", "c")).containsEntry("enable.auto.commit", false)
                .containsEntry("isolation.level", "read_committed");

        Properties streams = SouperStreamsConfig.create(clients, "souper", dir, null, 1);
        assertThat(streams).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "PLAIN")
                .containsEntry("bootstrap.servers", "broker:9093").containsEntry("processing.guarantee", "exactly_once_v2");
        assertThat(clients.toString()).doesNotContain("a:b");
    }

    @Test
    void aMissingFileIsNamed() {
        assertThatThrownBy(() -> KafkaClientConfigs.load("b:1", "mock://x", dir.resolve("nope.properties"), null, Map.of()))
                .hasMessageContaining("--kafka-config").hasMessageContaining("nope.properties");
    }
}
