package io.souper.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.souper.kafka.EmbeddedKafkaBroker;
import io.souper.kafka.EmbeddedStack;
import io.souper.registry.SchemaRegistryClients;
import io.souper.registry.SchemaRegistryException;
import io.souper.web.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The CLI against a broker that requires SASL and a registry that requires basic authentication. */
class SecuredClusterTest {

    @TempDir
    Path dir;

    @Test
    void aSaslClusterIsReachedWithCredentialsFromAKafkaConfigFile() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("sasl"), 0,
                Map.of("alice", "alice-secret"))) {
            Path good = properties("good.properties", EmbeddedKafkaBroker.plainClient("alice", "alice-secret"));
            Path bad = properties("bad.properties", EmbeddedKafkaBroker.plainClient("alice", "wrong"));
            String[] connection = {"-b", broker.bootstrapServers(), "-r", "mock://sasl-" + UUID.randomUUID()};

            // without credentials the broker does not let the client in
            CliRun anonymous = CliRun.run(Map.of(), with(connection, "topics", "list"));
            assertThat(anonymous.code()).isEqualTo(1);
            assertThat(anonymous.errorLines()).hasSize(1);

            CliRun wrong = CliRun.run(Map.of(), with(connection, "topics", "create", "--kafka-config", bad.toString()));
            assertThat(wrong.code()).isEqualTo(1);
            assertThat(wrong.errorLines()).singleElement().asString()
                    .startsWith("souper: Kafka at " + broker.bootstrapServers() + " refused the credentials")
                    .contains("Invalid username or password");

            CliRun missing = CliRun.capturingOut(Map.of(), with(connection, "topics", "list", "--kafka-config", good.toString()));
            assertThat(missing.code()).isEqualTo(1);
            assertThat(missing.out()).contains("souper.definitions   MISSING");

            assertThat(CliRun.capturingOut(Map.of(), with(connection, "topics", "create", "--partitions", "2",
                    "--kafka-config", good.toString())).code()).isZero();
            CliRun listed = CliRun.capturingOut(Map.of(), with(connection, "topics", "list", "--kafka-config", good.toString()));
            assertThat(listed.code()).isZero();
            assertThat(listed.out()).contains("souper.definitions   ok        2 partitions, cleanup.policy=compact",
                    "souper.checkpoints   ok        2 partitions, cleanup.policy=delete");

            // the same credentials by environment, Confluent's convention
            Map<String, String> env = Map.of(
                    "SOUPER_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT",
                    "SOUPER_KAFKA_SASL_MECHANISM", "PLAIN",
                    "SOUPER_KAFKA_SASL_JAAS_CONFIG", EmbeddedKafkaBroker.plainClient("alice", "alice-secret")
                            .get("sasl.jaas.config"));
            Path checkpoint = CliRun.tinyCheckpoint(dir.resolve("c.safetensors"));
            assertThat(CliRun.capturingOut(env, with(connection, "publish-checkpoint", "--soup", "s1", "--checkpoint",
                    checkpoint.toString(), "--run-id", "r1")).code()).isZero();
            CliRun tail = CliRun.capturingOut(Map.of(), with(connection, "tail", "souper.checkpoints", "--no-follow",
                    "--kafka-config", good.toString()));
            assertThat(tail.code()).isZero();
            assertThat(tail.jsonLines()).singleElement().satisfies(line ->
                    assertThat(json(line).get("value").get("runId").asText()).isEqualTo("r1"));
        }
    }

    @Test
    void theEmbeddedRegistryRequiresBasicAuthAndTheClientSendsIt() throws Exception {
        try (EmbeddedStack stack = EmbeddedStack.start(dir.resolve("stack"), 0, 0, 1, "souper:s3cret")) {
            Path good = properties("registry.properties", Map.of("basic.auth.credentials.source", "USER_INFO",
                    "basic.auth.user.info", "souper:s3cret"));
            Path bad = properties("wrong.properties", Map.of("basic.auth.credentials.source", "USER_INFO",
                    "basic.auth.user.info", "souper:guess"));
            String[] connection = {"-b", stack.bootstrapServers(), "-r", stack.schemaRegistryUrl()};

            CliRun wrong = CliRun.run(Map.of(), with(connection, "soup", "define", "s", "--no-check",
                    "--architecture", "/m.pt", "--held-out", "/h", "--registry-config", bad.toString()));
            assertThat(wrong.code()).isEqualTo(1);
            assertThat(wrong.errorLines()).singleElement().asString()
                    .startsWith("souper: schema registry at " + stack.schemaRegistryUrl()
                            + " refused the credentials (HTTP 401 Unauthorized)");

            CliRun defined = CliRun.capturingOut(Map.of(), with(connection, "soup", "define", "s", "--no-check",
                    "--architecture", "/m.pt", "--held-out", "/h", "--registry-config", good.toString()));
            assertThat(defined.code()).as(defined.err()).isZero();
            // the credentials by environment; the stack's own clients carry them too
            CliRun tail = CliRun.capturingOut(Map.of("SOUPER_REGISTRY_BASIC_AUTH_CREDENTIALS_SOURCE", "USER_INFO",
                    "SOUPER_REGISTRY_BASIC_AUTH_USER_INFO", "souper:s3cret"),
                    with(connection, "tail", "souper.definitions", "--no-follow"));
            assertThat(tail.jsonLines()).singleElement().satisfies(line ->
                    assertThat(json(line).get("value").get("architectureUri").asText()).isEqualTo("file:///m.pt"));
            assertThat(stack.clientConfigs().topics().registry().subjects()).contains("souper.definitions-value");

            assertThatThrownBy(() -> SchemaRegistryClients.forUrl(stack.schemaRegistryUrl(), Map.of()).subjects())
                    .isInstanceOf(SchemaRegistryException.class).hasMessageContaining("HTTP 401");
            // credentials in the URL (Confluent's default source) work as well
            String withUser = stack.schemaRegistryUrl().replace("http://", "http://souper:s3cret@");
            assertThat(SchemaRegistryClients.forUrl(withUser, Map.of()).subjects()).contains("souper.definitions-value");
        }
    }

    private Path properties(String name, Map<String, String> values) throws Exception {
        Properties properties = new Properties();
        properties.putAll(values);
        Path file = dir.resolve(name);
        try (var out = Files.newBufferedWriter(file)) {
            properties.store(out, null);
        }
        return file;
    }

    private static String[] with(String[] connection, String... args) {
        String[] all = new String[args.length + connection.length];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(connection, 0, all, args.length, connection.length);
        return all;
    }

    private static JsonNode json(String line) {
        try {
            return Json.MAPPER.readTree(line);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }
}
