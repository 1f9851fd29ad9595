package io.souper.registry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registry state in a compacted, single-partition Kafka topic, like Confluent's {@code _schemas}:
 * one partition gives one total order of changes, compaction keeps the latest record per key, so
 * reading the topic from the start rebuilds the registry with the same ids.
 */
final class KafkaSchemaLog implements SchemaLog {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaSchemaLog.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final String bootstrapServers;
    /** Client properties of the cluster (bootstrap, SASL, TLS...), shared by the log's three clients. */
    private final Map<String, ?> clientProperties;
    private final String topic;
    private final TopicPartition partition;
    private final KafkaProducer<byte[], byte[]> producer;

    KafkaSchemaLog(String bootstrapServers, String topic, short replicationFactor) {
        this(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers), topic, replicationFactor);
    }

    /** @param clientProperties Kafka client properties; {@code bootstrap.servers} must be among them */
    KafkaSchemaLog(Map<String, ?> clientProperties, String topic, short replicationFactor) {
        Object bootstrap = clientProperties.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG);
        if (bootstrap == null) {
            throw new IllegalArgumentException("the schema registry's Kafka log needs bootstrap.servers");
        }
        this.bootstrapServers = bootstrap.toString();
        this.clientProperties = Map.copyOf(clientProperties);
        this.topic = topic;
        this.partition = new TopicPartition(topic, 0);
        ensureTopic(replicationFactor);
        this.producer = new KafkaProducer<>(producerConfig(), new ByteArraySerializer(), new ByteArraySerializer());
    }

    @Override
    public List<SchemaLogEntry> readAll() {
        Properties config = clientConfig();
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "schema-registry-reader");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<SchemaLogEntry> entries = new ArrayList<>();
        int skipped = 0;
        try (KafkaConsumer<byte[], byte[]> consumer =
                          new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition), TIMEOUT).get(partition);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (consumer.position(partition, TIMEOUT) < end) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read topic " + topic + " to offset " + end + " at "
                            + bootstrapServers + " within " + TIMEOUT.toSeconds() + " s");
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    try {
                        SchemaLogCodec.decode(record.key(), record.value()).ifPresent(entries::add);
                    } catch (SchemaLogCodec.UnreadableRecordException e) {
                        // As Confluent's registry does: one bad record (written by hand, by another
                        // tool) must not stop the registry from serving every good one. Logged once
                        // per start, with its offset, so it can be found and removed.
                        skipped++;
                        LOG.warn("Skipping unreadable record at {} offset {}: {}", topic, record.offset(),
                                e.getMessage());
                    }
                }
            }
            LOG.info("Read {} schema registry entries from {} (end offset {}, {} unreadable records skipped)",
                    entries.size(), topic, end, skipped);
        }
        return entries;
    }

    @Override
    public void append(SchemaLogEntry entry) {
        ProducerRecord<byte[], byte[]> record =
                new ProducerRecord<>(topic, 0, SchemaLogCodec.key(entry), SchemaLogCodec.value(entry));
        try {
            producer.send(record).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new SchemaRegistryException(50001, "Could not store " + entry + " in topic " + topic + " at "
                    + bootstrapServers + ": " + cause, cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException(50001, "Interrupted while storing " + entry + " in topic " + topic, e);
        }
    }

    private Properties clientConfig() {
        Properties config = new Properties();
        config.putAll(clientProperties);
        return config;
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }

    private Properties producerConfig() {
        Properties config = clientConfig();
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "schema-registry-writer");
        // Every write is awaited before the registry answers: durability over throughput.
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        config.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(TIMEOUT.toMillis()));
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(TIMEOUT.toMillis()));
        return config;
    }

    /** Creates the topic (1 partition, compacted) or checks that the existing one has one partition. */
    private void ensureTopic(short replicationFactor) {
        Properties config = clientConfig();
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, "schema-registry-admin");
        try (Admin admin = Admin.create(config)) {
            NewTopic newTopic = new NewTopic(topic, 1, replicationFactor)
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
            try {
                admin.createTopics(List.of(newTopic)).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                LOG.info("Created schema registry topic {} at {}", topic, bootstrapServers);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create schema registry topic " + topic + " at "
                            + bootstrapServers + ": " + e.getCause(), e.getCause());
                }
            }
            checkTopic(admin);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot inspect schema registry topic " + topic + " at "
                    + bootstrapServers + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while preparing topic " + topic, e);
        }
    }

    /** Checks partitions and cleanup policy, retrying while a just-created topic's metadata propagates. */
    private void checkTopic(Admin admin) throws ExecutionException, TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            try {
                TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
                        .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(topic);
                if (description.partitions().size() != 1) {
                    throw new IllegalStateException("schema registry topic " + topic + " must have exactly 1"
                            + " partition (a total order of schema changes), it has " + description.partitions().size());
                }
                ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
                Config topicConfig = admin.describeConfigs(List.of(resource)).all()
                        .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(resource);
                String policy = topicConfig.get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
                if (!TopicConfig.CLEANUP_POLICY_COMPACT.equals(policy)) {
                    LOG.warn("Schema registry topic {} has cleanup.policy={}, not compact: schemas may be deleted"
                            + " by retention and their ids lost", topic, policy);
                }
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof RetriableException) || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }
}
