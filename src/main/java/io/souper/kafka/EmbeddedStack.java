package io.souper.kafka;

import io.souper.registry.SchemaRegistryServer;
import org.apache.kafka.clients.admin.Admin;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * The all-in-one infrastructure: a single-node KRaft broker, the Confluent-compatible
 * schema registry (its schemas in the broker's {@code _schemas} topic) and Souper's
 * topics, all under one data directory so a restart resumes where it stopped.
 */
public final class EmbeddedStack implements AutoCloseable {

    private final EmbeddedKafkaBroker broker;
    private final SchemaRegistryServer registry;

    private EmbeddedStack(EmbeddedKafkaBroker broker, SchemaRegistryServer registry) {
        this.broker = broker;
        this.registry = registry;
    }

    /** Ports 0 pick free ones. */
    public static EmbeddedStack start(Path dataDir, int kafkaPort, int registryPort, int partitions) {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, kafkaPort);
        try {
            try (Admin admin = Admin.create(new KafkaClientConfigs(broker.bootstrapServers(), null).admin())) {
                new TopicBootstrapper(admin).ensure(TopicNames.all(partitions), (short) 1);
            }
            SchemaRegistryServer registry = new SchemaRegistryServer(broker.bootstrapServers(),
                    new InetSocketAddress("localhost", registryPort), SchemaRegistryServer.DEFAULT_TOPIC);
            return new EmbeddedStack(broker, registry);
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    public String schemaRegistryUrl() {
        return registry.url();
    }

    public KafkaClientConfigs clientConfigs() {
        return new KafkaClientConfigs(bootstrapServers(), schemaRegistryUrl());
    }

    @Override
    public void close() {
        registry.close();
        broker.close();
    }
}
