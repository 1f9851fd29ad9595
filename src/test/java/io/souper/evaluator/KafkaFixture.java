package io.souper.evaluator;

import io.souper.events.CheckpointReady;
import io.souper.events.EvaluationRequest;
import io.souper.events.IngredientRef;
import io.souper.events.SoupDefinition;
import io.souper.events.SubjectKind;
import io.souper.kafka.EmbeddedKafkaBroker;
import io.souper.kafka.EmbeddedStack;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.Topic;
import io.souper.kafka.TopicBootstrapper;
import io.souper.kafka.TopicNames;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real single-node broker with Souper's topics, an in-memory registry (or the embedded stack's
 * HTTP one, which other processes can reach), and helpers to publish and read.
 */
final class KafkaFixture implements AutoCloseable {

    final KafkaClientConfigs clients;
    final SouperTopics topics;
    private final AutoCloseable infrastructure;
    private final KafkaProducer<String, byte[]> producer;

    KafkaFixture(Path dataDir, int partitions) {
        this(EmbeddedKafkaBroker.start(dataDir), partitions);
    }

    private KafkaFixture(EmbeddedKafkaBroker broker, int partitions) {
        this(new KafkaClientConfigs(broker.bootstrapServers(), "mock://evaluator-" + UUID.randomUUID()), partitions,
                broker);
    }

    /** Over the embedded stack (broker and HTTP registry): for tests that run the evaluator in another JVM. */
    KafkaFixture(EmbeddedStack stack, int partitions) {
        this(stack.clientConfigs(), partitions, stack);
    }

    private KafkaFixture(KafkaClientConfigs clients, int partitions, AutoCloseable infrastructure) {
        this.clients = clients;
        this.infrastructure = infrastructure;
        topics = SouperTopics.forRegistry(clients.schemaRegistryUrl());
        try (Admin admin = Admin.create(clients.admin())) {
            new TopicBootstrapper(admin).ensure(TopicNames.all(partitions), (short) 1);
        }
        producer = new KafkaProducer<>(clients.producer("test-driver"), new StringSerializer(), new ByteArraySerializer());
    }

    <V> byte[] publish(Topic<String, V> topic, String key, V value) {
        byte[] bytes = topic.valueSerde().serializer().serialize(topic.name(), value);
        publishRaw(topic.name(), key, bytes);
        return bytes;
    }

    void publishRaw(String topic, String key, byte[] value) {
        try {
            producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("cannot publish to " + topic + ": " + e, e);
        }
    }

    /**
     * Reads {@code topic} from the beginning until {@code done} holds for what was read (or the
     * timeout passes, which fails the test with what was read).
     */
    <V> List<ConsumerRecord<String, V>> readUntil(Topic<String, V> topic, Predicate<List<ConsumerRecord<String, V>>> done,
                                                  Duration timeout) {
        List<ConsumerRecord<String, V>> out = new ArrayList<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(clients.consumer("reader-" + UUID.randomUUID(),
                "reader"), topic.keySerde().deserializer(), topic.valueSerde().deserializer())) {
            consumer.subscribe(List.of(topic.name()));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!done.test(out)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("timed out reading " + topic.name() + "; read " + out.size()
                            + " records: " + out.stream().map(ConsumerRecord::value).toList());
                }
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    static SoupDefinition definition(String soupId, Path architecture, String heldOut, String test,
                                     Map<String, String> shifts) {
        return SoupDefinition.newBuilder()
                .setSoupId(soupId)
                .setArchitectureUri(architecture.toUri().toString())
                .setHeldOutUri(heldOut)
                .setTestUri(test)
                .setShiftUris(shifts)
                .setCreatedAt(Instant.now())
                .build();
    }

    static CheckpointReady checkpoint(String soupId, String checkpointId, String uri, String sha256) {
        return CheckpointReady.newBuilder()
                .setCheckpointId(checkpointId)
                .setSoupId(soupId)
                .setUri(uri)
                .setSha256(sha256)
                .setRunId("run-" + checkpointId)
                .setHyperParameters(Map.of("lr", "0.05"))
                .setProducedAt(Instant.now())
                .build();
    }

    static IngredientRef ref(String checkpointId, Path file, String sha256) {
        return IngredientRef.newBuilder().setCheckpointId(checkpointId).setUri(file.toUri().toString())
                .setSha256(sha256).build();
    }

    static EvaluationRequest request(String soupId, String requestId, SubjectKind kind, List<IngredientRef> ingredients) {
        return EvaluationRequest.newBuilder()
                .setRequestId(requestId)
                .setSoupId(soupId)
                .setBaseVersion(1)
                .setKind(kind)
                .setIngredients(ingredients)
                .setRequestedAt(Instant.now())
                .build();
    }

    static String idx(String split, int from, int to) {
        return "file:///usr/share/datasets/fashion-mnist?split=" + split + "&from=" + from + "&to=" + to;
    }

    @Override
    public void close() {
        producer.close();
        try {
            infrastructure.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing the test's Kafka failed", e);
        }
    }
}
