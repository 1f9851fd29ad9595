package io.souper.cli;

import io.souper.kafka.KafkaClientConfigs;
import picocli.CommandLine.Option;

/** Where Kafka and the schema registry are; shared by every command that talks to them. */
public final class ConnectionOptions {

    @Option(names = {"-b", "--bootstrap-servers"}, paramLabel = "HOST:PORT",
            defaultValue = "${env:SOUPER_BOOTSTRAP_SERVERS:-localhost:9092}",
            description = "Kafka bootstrap servers (env SOUPER_BOOTSTRAP_SERVERS; default: ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = {"-r", "--schema-registry-url"}, paramLabel = "URL",
            defaultValue = "${env:SOUPER_SCHEMA_REGISTRY_URL:-http://localhost:8081}",
            description = "Confluent-compatible schema registry URL, or mock://scope for an in-process one "
                    + "(env SOUPER_SCHEMA_REGISTRY_URL; default: ${DEFAULT-VALUE}).")
    String schemaRegistryUrl;

    public KafkaClientConfigs clientConfigs() {
        return new KafkaClientConfigs(bootstrapServers, schemaRegistryUrl);
    }
}
