package io.souper.kafka;

import io.souper.registry.SchemaRegistryClients;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * Every Kafka and schema-registry client setting in one place: where the cluster and the registry
 * are, plus arbitrary client properties for a secured cluster (SASL, TLS, OAuth...) that reach
 * every producer, consumer, admin client and Kafka Streams, so no security setup needs a code change.
 * Producers are idempotent with acks=all so a retried send never duplicates an event.
 *
 * <p>Client properties come from a properties file and from the environment, the convention of
 * Confluent's images: {@code SOUPER_KAFKA_SASL_MECHANISM=PLAIN} is {@code sasl.mechanism=PLAIN}
 * (after the prefix: lower case, {@code _} is {@code .}, {@code __} is {@code _}, {@code ___} is
 * {@code -}); the environment wins over the file. The registry's settings (Confluent's names:
 * {@code basic.auth.credentials.source}, {@code basic.auth.user.info}, {@code schema.registry.ssl.*})
 * come the same way with the prefix {@code SOUPER_REGISTRY_}.
 *
 * @param kafkaProperties    client properties given by the user; Souper's own settings
 *                           (bootstrap servers, client and group ids, acks, isolation) win over them
 * @param registryProperties the registry client's properties
 */
public record KafkaClientConfigs(String bootstrapServers, String schemaRegistryUrl,
                                 Map<String, String> kafkaProperties, Map<String, String> registryProperties) {

    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String DEFAULT_BOOTSTRAP_SERVERS = "localhost:9092";
    public static final String DEFAULT_SCHEMA_REGISTRY_URL = "http://localhost:8081";
    public static final String KAFKA_ENV_PREFIX = "SOUPER_KAFKA_";
    public static final String REGISTRY_ENV_PREFIX = "SOUPER_REGISTRY_";
    /** Environment variables of the {@code --kafka-config}/{@code --registry-config} options: file names, not properties. */
    public static final Set<String> NOT_CLIENT_PROPERTIES = Set.of("SOUPER_KAFKA_CONFIG", "SOUPER_REGISTRY_CONFIG");

    public KafkaClientConfigs {
        kafkaProperties = Map.copyOf(kafkaProperties == null ? Map.of() : kafkaProperties);
        registryProperties = Map.copyOf(registryProperties == null ? Map.of() : registryProperties);
    }

    public KafkaClientConfigs(String bootstrapServers, String schemaRegistryUrl) {
        this(bootstrapServers, schemaRegistryUrl, Map.of(), Map.of());
    }

    /**
     * Client settings from the two optional files, overridden by the prefixed variables of {@code environment}.
     */
    public static KafkaClientConfigs load(String bootstrapServers, String schemaRegistryUrl, Path kafkaConfigFile,
                                          Path registryConfigFile, Map<String, String> environment) {
        Map<String, String> kafka = new TreeMap<>(readFile(kafkaConfigFile, "--kafka-config"));
        kafka.putAll(fromEnvironment(environment, KAFKA_ENV_PREFIX));
        Map<String, String> registry = new TreeMap<>(readFile(registryConfigFile, "--registry-config"));
        registry.putAll(fromEnvironment(environment, REGISTRY_ENV_PREFIX));
        return new KafkaClientConfigs(bootstrapServers, schemaRegistryUrl, kafka, registry);
    }

    /** {@code PREFIX_SASL_JAAS_CONFIG} to {@code sasl.jaas.config}, for every variable with {@code prefix}. */
    public static Map<String, String> fromEnvironment(Map<String, String> environment, String prefix) {
        Map<String, String> properties = new TreeMap<>();
        environment.forEach((name, value) -> {
            if (name.startsWith(prefix) && name.length() > prefix.length() && !NOT_CLIENT_PROPERTIES.contains(name)) {
                properties.put(propertyName(name.substring(prefix.length())), value);
            }
        });
        return properties;
    }

    /** Confluent's rule: lower case, {@code ___} to {@code -}, {@code __} to {@code _}, {@code _} to {@code .}. */
    static String propertyName(String variableSuffix) {
        String lower = variableSuffix.toLowerCase(Locale.ROOT);
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < lower.length()) {
            int run = 0;
            while (i + run < lower.length() && lower.charAt(i + run) == '_') {
                run++;
            }
            if (run == 0) {
                out.append(lower.charAt(i++));
            } else {
                out.append(run == 1 ? "." : run == 2 ? "_" : "-");
                i += Math.min(run, 3);
            }
        }
        return out.toString();
    }

    /** A Java properties file, or nothing for a null path. */
    public static Map<String, String> readFile(Path file, String option) {
        if (file == null) {
            return Map.of();
        }
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(in);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(option + " file " + file + " does not exist");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + option + " file " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> map = new TreeMap<>();
        properties.stringPropertyNames().forEach(name -> map.put(name, properties.getProperty(name).trim()));
        return map;
    }

    /** What every client shares: the user's properties, then where the cluster is. */
    public Map<String, Object> common() {
        Map<String, Object> m = new HashMap<>(kafkaProperties);
        m.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return m;
    }

    public Map<String, Object> admin() {
        Map<String, Object> m = common();
        m.put(CommonClientConfigs.CLIENT_ID_CONFIG, "souper-admin");
        return m;
    }

    public Map<String, Object> producer(String clientId) {
        Map<String, Object> m = common();
        m.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        m.put(ProducerConfig.ACKS_CONFIG, "all");
        m.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        m.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
        m.put(SCHEMA_REGISTRY_URL, schemaRegistryUrl);
        return m;
    }

    public Map<String, Object> consumer(String groupId, String clientId) {
        Map<String, Object> m = common();
        m.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        m.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        m.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        m.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // read only committed output of the exactly-once souper
        m.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        m.put(SCHEMA_REGISTRY_URL, schemaRegistryUrl);
        return m;
    }

    /** Souper's topics with serdes on this registry, with its credentials and TLS stores. */
    public SouperTopics topics() {
        return new SouperTopics(SchemaRegistryClients.forUrl(schemaRegistryUrl, registryProperties));
    }

    /** The same clients pointed at another cluster and registry (same credentials). */
    public KafkaClientConfigs at(String otherBootstrapServers, String otherSchemaRegistryUrl) {
        return new KafkaClientConfigs(otherBootstrapServers, otherSchemaRegistryUrl, kafkaProperties, registryProperties);
    }

    /** Passwords stay out of logs and error messages. */
    @Override
    public String toString() {
        return "KafkaClientConfigs[" + bootstrapServers + ", " + schemaRegistryUrl + ", kafka properties "
                + kafkaProperties.keySet() + ", registry properties " + registryProperties.keySet() + "]";
    }
}
