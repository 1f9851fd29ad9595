package io.souper.corpus;

import io.micrometer.core.instrument.Counter;
import io.souper.events.AcceptRule;
import io.souper.events.CheckpointReady;
import io.souper.events.DeadLetter;
import io.souper.events.SoupDefinition;
import io.souper.events.SoupPolicy;
import io.souper.kafka.EmbeddedKafkaBroker;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.Topic;
import io.souper.kafka.TopicBootstrapper;
import io.souper.kafka.TopicNames;
import io.souper.metrics.MetricNames;
import io.souper.metrics.SouperMetrics;
import io.souper.data.FashionMnist;
import io.souper.testsupport.TorchReference;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A broker with Souper's topics and a producer that writes bytes as any client
 * could: what the corpus tests send their bad inputs through. Topics are read with assigned
 * consumers that keep their place ({@link Log}), so waiting for the next record costs no group join.
 */
final class CorpusStack implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(120);
    static final Path ARCHITECTURE = Path.of("models/fmnist_cnn.pt");
    static final Path IDX = FashionMnist.DEBIAN_DIRECTORY;
    /** Made once per JVM: training it costs seconds of PyTorch, and every corpus class needs one. */
    private static Path goodCheckpoint;

    final EmbeddedKafkaBroker broker;
    final KafkaClientConfigs clients;
    final SouperTopics topics;
    private final KafkaProducer<String, byte[]> producer;
    private final List<Log<?>> logs = new ArrayList<>();
    /** Where the last record of each topic and key went: a dead letter names its original partition. */
    private final Map<String, Integer> partitions = new ConcurrentHashMap<>();

    CorpusStack(Path dataDir, int partitionsPerTopic) throws Exception {
        broker = EmbeddedKafkaBroker.start(dataDir);
        clients = new KafkaClientConfigs(broker.bootstrapServers(), "mock://corpus-" + UUID.randomUUID());
        topics = SouperTopics.forRegistry(clients.schemaRegistryUrl());
        try (Admin admin = Admin.create(clients.admin())) {
            new TopicBootstrapper(admin).ensure(TopicNames.all(partitionsPerTopic), (short) 1);
        }
        producer = new KafkaProducer<>(clients.producer("corpus-driver"), new StringSerializer(),
                new ByteArraySerializer());
    }

    /** Offset of the record, once the broker has it. */
    <V> long publish(Topic<String, V> topic, String key, V value) {
        return publishRaw(topic.name(), key, encode(topic, value));
    }

    <V> byte[] encode(Topic<String, V> topic, V value) {
        return topic.valueSerde().serializer().serialize(topic.name(), value);
    }

    long publishRaw(String topic, String key, byte[] value) {
        try {
            RecordMetadata placed = producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
            partitions.put(topic + "/" + key, placed.partition());
            return placed.offset();
        } catch (Exception e) {
            throw new AssertionError("cannot publish to " + topic + ": " + e, e);
        }
    }

    /** The partition the records of {@code key} were sent to on {@code topic}. */
    int partitionOf(String topic, String key) {
        return Objects.requireNonNull(partitions.get(topic + "/" + key), "nothing sent to " + topic + " under " + key);
    }

    /** Everything on {@code topic} from its start, decoded; records that do not decode are passed over. */
    <V> Log<V> log(Topic<String, V> topic) {
        Log<V> log = new Log<>(topic);
        logs.add(log);
        return log;
    }

    /** Dead letters of {@code originalTopic} by original offset, once there is one for each of {@code offsets}. */
    static Map<Long, DeadLetter> byOffset(Log<DeadLetter> letters, String originalTopic, int partition,
                                          Collection<Long> offsets) {
        Map<Long, DeadLetter> found = new LinkedHashMap<>();
        letters.awaitUntil("dead letters of " + originalTopic + " at offsets " + offsets, ls -> {
            found.clear();
            ls.stream().map(ConsumerRecord::value).filter(l -> l.getOriginalTopic().equals(originalTopic)
                            && l.getPartition() == partition)
                    .forEach(l -> found.put(l.getOffset(), l));
            return found.keySet().containsAll(offsets);
        });
        return found;
    }

    /**
     * A checkpoint of {@link #ARCHITECTURE} fine-tuned by PyTorch (a few SGD steps), shared by the
     * corpus classes; callers copy it into their own store.
     */
    static synchronized Path goodCheckpoint() throws IOException {
        if (goodCheckpoint == null) {
            Path dir = Files.createTempDirectory("corpus-checkpoint");
            TorchReference.run("make-checkpoints", "--arch", ARCHITECTURE.toAbsolutePath().toString(), "--dir",
                    IDX.toString(), "--out", dir.toAbsolutePath().toString(), "--count", "1");
            goodCheckpoint = dir.resolve("ckpt-0.safetensors");
            dir.toFile().deleteOnExit(); // deleted after the file: the JVM deletes in reverse order
            goodCheckpoint.toFile().deleteOnExit();
        }
        return goodCheckpoint;
    }

    static double deadLetters(SouperMetrics metrics, String reason) {
        return count(metrics, MetricNames.DEAD_LETTERS, "reason", reason);
    }

    static double count(SouperMetrics metrics, String name, String tag, String value) {
        Counter counter = metrics.registry().find(name).tags(tag, value).counter();
        return counter == null ? 0 : counter.count();
    }

    /**
     * Waits until {@code counter} reaches {@code expected} and checks it goes no further: a dead letter
     * is counted just after the broker acknowledged it, so a reader can see the record a moment first.
     */
    static void awaitCount(String what, DoubleSupplier counter, double expected) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (counter.getAsDouble() < expected && System.nanoTime() < deadline) {
            sleep(50);
        }
        if (counter.getAsDouble() != expected) {
            throw new AssertionError(what + ": counted " + counter.getAsDouble() + ", expected " + expected);
        }
    }

    static SoupDefinition definition(String soupId, Path architecture, String heldOut, SoupPolicy policy,
                                     AcceptRule rule, String evaluator) {
        return SoupDefinition.newBuilder().setSoupId(soupId).setArchitectureUri(architecture.toUri().toString())
                .setHeldOutUri(heldOut).setPolicy(policy).setAcceptRule(rule).setEvaluator(evaluator)
                .setCreatedAt(Instant.now()).build();
    }

    static CheckpointReady checkpoint(String soupId, String checkpointId, String uri, String sha256) {
        return CheckpointReady.newBuilder().setCheckpointId(checkpointId).setSoupId(soupId).setUri(uri)
                .setSha256(sha256).setRunId("run-" + checkpointId).setProducedAt(Instant.now()).build();
    }

    static String idx(Path directory, String split, int from, int to) {
        return "file://" + directory.toAbsolutePath() + "?split=" + split + "&from=" + from + "&to=" + to;
    }

    static int schemaIdOf(byte[] framed) {
        return ByteBuffer.wrap(framed, 1, 4).getInt();
    }

    @Override
    public void close() {
        logs.forEach(Log::close);
        producer.close();
        broker.close();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** One topic read from its start by an assigned consumer (all partitions), accumulated across waits. */
    final class Log<V> implements AutoCloseable {
        private final Topic<String, V> topic;
        private final KafkaConsumer<String, byte[]> consumer;
        private final List<ConsumerRecord<String, V>> records = new ArrayList<>();

        private Log(Topic<String, V> topic) {
            this.topic = topic;
            this.consumer = new KafkaConsumer<>(clients.consumer("corpus-unused-" + UUID.randomUUID(),
                    "corpus-reader"), new StringDeserializer(), new ByteArrayDeserializer());
            List<TopicPartition> all = consumer.partitionsFor(topic.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(all);
            consumer.seekToBeginning(all);
        }

        /** Polls until {@code done} holds for everything read so far; returns it. */
        List<ConsumerRecord<String, V>> awaitUntil(String what, Predicate<List<ConsumerRecord<String, V>>> done) {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!done.test(records)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("timed out waiting for " + what + " on " + topic.name() + " after "
                            + records.size() + " records: " + records.stream().map(ConsumerRecord::value).toList());
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    V value;
                    try {
                        value = topic.valueSerde().deserializer().deserialize(topic.name(), r.value());
                    } catch (RuntimeException e) {
                        continue; // the corpus's own bad bytes, on the topics they were sent to
                    }
                    records.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.key(), value));
                }
            }
            return List.copyOf(records);
        }

        @Override
        public void close() {
            consumer.close();
        }
    }
}
