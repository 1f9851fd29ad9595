package io.souper.cli;

import io.souper.kafka.EmbeddedStack;
import io.souper.kafka.TopicNames;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "dev-stack", mixinStandardHelpOptions = true,
        description = {"Run a single-node Kafka broker (KRaft) and a Confluent-compatible schema registry in the "
                + "foreground, with Souper's topics created, until Ctrl-C. Data (topics, messages, schema ids) "
                + "persists under --data-dir, so running it again resumes. Point other souper commands at the "
                + "printed addresses (they are the defaults)."})
public final class DevStackCommand implements Callable<Integer> {

    @Option(names = "--data-dir", defaultValue = EmbeddedStack.DEFAULT_DATA_DIR,
            description = "Where the broker keeps its log (env SOUPER_DATA_DIR; default: ${DEFAULT-VALUE}).")
    Path dataDir;

    // not SOUPER_KAFKA_PORT: SOUPER_KAFKA_* are Kafka client properties
    @EnvironmentVariable("SOUPER_BROKER_PORT")
    @Option(names = "--kafka-port", defaultValue = "" + EmbeddedStack.DEFAULT_KAFKA_PORT,
            description = "Broker port (env SOUPER_BROKER_PORT; default: ${DEFAULT-VALUE}).")
    int kafkaPort;

    // not SOUPER_REGISTRY_PORT: SOUPER_REGISTRY_* are registry client properties
    @EnvironmentVariable("SOUPER_SCHEMA_REGISTRY_PORT")
    @Option(names = "--registry-port", defaultValue = "" + EmbeddedStack.DEFAULT_REGISTRY_PORT,
            description = "Schema registry port (env SOUPER_SCHEMA_REGISTRY_PORT; default: ${DEFAULT-VALUE}).")
    int registryPort;

    @EnvironmentVariable("SOUPER_SCHEMA_REGISTRY_USER")
    @Option(names = "--registry-user", paramLabel = "USER:PASSWORD",
            description = "Require HTTP basic authentication by this user on every registry request; clients "
                    + "then need basic.auth.credentials.source=USER_INFO and basic.auth.user.info=USER:PASSWORD "
                    + "(env SOUPER_SCHEMA_REGISTRY_USER; default: an open registry).")
    String registryUser;

    @Option(names = "--partitions", defaultValue = "" + EmbeddedStack.DEFAULT_PARTITIONS,
            description = "Partitions of each Souper topic when first created (env SOUPER_PARTITIONS; "
                    + "default: ${DEFAULT-VALUE}).")
    int partitions;

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        try (EmbeddedStack stack = EmbeddedStack.start(dataDir, kafkaPort, registryPort, partitions,
                registryUser)) {
            System.out.printf("souper dev-stack ready in %.1f s%n", (System.nanoTime() - started) / 1e9);
            System.out.println("  bootstrap servers:   " + stack.bootstrapServers());
            System.out.println("  schema registry url: " + stack.schemaRegistryUrl());
            System.out.println("  data directory:      " + dataDir.toAbsolutePath());
            System.out.println("Ctrl-C to stop.");
            System.out.flush();
            Foreground.awaitStop();
        }
        return 0;
    }
}
