package io.souper.kafka;

import io.souper.registry.RegistryClientSecurity;
import io.souper.registry.SchemaRegistryServer;
import org.apache.kafka.clients.admin.Admin;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;

/**
 * The all-in-one infrastructure: a single-node KRaft broker, the Confluent-compatible
 * schema registry (its schemas in the broker's {@code _schemas} topic) and Souper's
 * topics, all under one data directory so a restart resumes where it stopped.
 */
public final class EmbeddedStack implements AutoCloseable {

    public static final String DEFAULT_DATA_DIR = ".souper";
    public static final int DEFAULT_KAFKA_PORT = 9092;
    public static final int DEFAULT_REGISTRY_PORT = 8081;
    public static final int DEFAULT_PARTITIONS = 6;

    private final EmbeddedKafkaBroker broker;
    private final SchemaRegistryServer registry;
    private final Map<String, String> registryProperties;

    private EmbeddedStack(EmbeddedKafkaBroker broker, SchemaRegistryServer registry,
                          Map<String, String> registryProperties) {
        this.broker = broker;
        this.registry = registry;
        this.registryProperties = registryProperties;
    }

    /** Ports 0 pick free ones. */
    public static EmbeddedStack start(Path dataDir, int kafkaPort, int registryPort, int partitions) {
        return start(dataDir, kafkaPort, registryPort, partitions, null);
    }

    /**
     * @param registryUserInfo {@code user:password} the registry requires on every request (HTTP basic
     *                         authentication), or null for an open registry; the stack's own clients use it
     */
    public static EmbeddedStack start(Path dataDir, int kafkaPort, int registryPort, int partitions,
                                      String registryUserInfo) {
        Map<String, String> users = Map.of();
        Map<String, String> clientProperties = Map.of();
        if (registryUserInfo != null) {
            int colon = registryUserInfo.indexOf(':');
            if (colon < 1) {
                throw new IllegalArgumentException("the registry's user must be given as user:password");
            }
            users = Map.of(registryUserInfo.substring(0, colon), registryUserInfo.substring(colon + 1));
            clientProperties = Map.of(RegistryClientSecurity.CREDENTIALS_SOURCE, "USER_INFO",
                    RegistryClientSecurity.USER_INFO, registryUserInfo);
        }
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, kafkaPort);
        try {
            KafkaClientConfigs brokerClients = new KafkaClientConfigs(broker.bootstrapServers(), null);
            try (Admin admin = Admin.create(brokerClients.admin())) {
                new TopicBootstrapper(admin).ensure(TopicNames.all(partitions), (short) 1);
            }
            SchemaRegistryServer registry = new SchemaRegistryServer(brokerClients.common(),
                    new InetSocketAddress("localhost", registryPort), SchemaRegistryServer.DEFAULT_TOPIC, users);
            return new EmbeddedStack(broker, registry, clientProperties);
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

    /** Clients of this stack, with the registry's credentials when it requires them. */
    public KafkaClientConfigs clientConfigs() {
        return new KafkaClientConfigs(bootstrapServers(), schemaRegistryUrl(), Map.of(), registryProperties);
    }

    @Override
    public void close() {
        registry.close();
        broker.close();
    }
}
