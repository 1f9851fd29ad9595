package io.souper.cli;

import io.souper.kafka.EmbeddedStack;
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

    @Option(names = "--data-dir", defaultValue = "${env:SOUPER_DATA_DIR:-.souper}",
            description = "Where the broker keeps its log (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--kafka-port", defaultValue = "9092", description = "Broker port (default: ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(names = "--registry-port", defaultValue = "8081",
            description = "Schema registry port (default: ${DEFAULT-VALUE}).")
    int registryPort;

    @Option(names = "--partitions", defaultValue = "${env:SOUPER_PARTITIONS:-6}",
            description = "Partitions of each Souper topic when first created (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        try (EmbeddedStack stack = EmbeddedStack.start(dataDir, kafkaPort, registryPort, partitions)) {
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
