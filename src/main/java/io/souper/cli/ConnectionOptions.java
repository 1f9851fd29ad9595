package io.souper.cli;

import io.souper.kafka.KafkaClientConfigs;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Where Kafka and the schema registry are and how to log in to them; shared by every command that talks
 * to them. Client properties for a secured cluster come from {@code --kafka-config} and {@code SOUPER_KAFKA_*},
 * the registry's from {@code --registry-config} and {@code SOUPER_REGISTRY_*} (see {@link KafkaClientConfigs}).
 */
public final class ConnectionOptions {

    /** How long a command waits for the cluster to answer before it gives up and says so. */
    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(8);

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(names = {"-b", "--bootstrap-servers"}, paramLabel = "HOST:PORT",
            defaultValue = KafkaClientConfigs.DEFAULT_BOOTSTRAP_SERVERS,
            description = "Kafka bootstrap servers (env SOUPER_BOOTSTRAP_SERVERS; default:%n${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = {"-r", "--schema-registry-url"}, paramLabel = "URL",
            defaultValue = KafkaClientConfigs.DEFAULT_SCHEMA_REGISTRY_URL,
            // %n before URLs: help text is wrapped at "http:|//" otherwise, and a broken URL cannot be copied
            description = "Confluent-compatible schema registry URL, or%nmock://scope for an in-process one "
                    + "(env SOUPER_SCHEMA_REGISTRY_URL; default:%n${DEFAULT-VALUE}).")
    String schemaRegistryUrl;

    @Option(names = "--kafka-config", paramLabel = "FILE",
            description = "Kafka client properties for every producer, consumer, admin client and Kafka Streams, "
                    + "e.g. security.protocol, sasl.mechanism, sasl.jaas.config, ssl.truststore.location; "
                    + "variables SOUPER_KAFKA_<NAME> override them (SOUPER_KAFKA_SASL_MECHANISM is "
                    + "sasl.mechanism) (env SOUPER_KAFKA_CONFIG).")
    Path kafkaConfig;

    @Option(names = "--registry-config", paramLabel = "FILE",
            description = "Schema registry client properties, Confluent's names: basic.auth.credentials.source, "
                    + "basic.auth.user.info, schema.registry.ssl.truststore.location...; variables "
                    + "SOUPER_REGISTRY_<NAME> override them (env SOUPER_REGISTRY_CONFIG).")
    Path registryConfig;

    /** Client settings from the options, the files and the environment; talks to nobody. */
    public KafkaClientConfigs clientConfigs() {
        return KafkaClientConfigs.load(bootstrapServers, schemaRegistryUrl, kafkaConfig, registryConfig,
                EnvironmentDefaults.of(command));
    }

    /**
     * Client settings, once the cluster has answered: a command that cannot reach Kafka stops within
     * seconds with one line naming the address, instead of waiting out the clients' own timeouts.
     */
    public KafkaClientConfigs connect() {
        KafkaClientConfigs clients = clientConfigs();
        // the probe's own failure is the one line to show; its client's retry warnings are noise, in services too
        QuietKafkaLogs.during(() -> KafkaProbe.check(clients, PROBE_TIMEOUT));
        return clients;
    }
}
