package io.souper.corpus;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.souper.data.FashionMnist;
import io.souper.events.AcceptRule;
import io.souper.events.CheckpointReady;
import io.souper.events.DeadLetter;
import io.souper.events.DecisionKind;
import io.souper.events.EvaluationResult;
import io.souper.events.IngredientRef;
import io.souper.events.SoupDecision;
import io.souper.events.SoupDefinition;
import io.souper.events.SoupPolicy;
import io.souper.events.SplitMetrics;
import io.souper.events.SubjectKind;
import io.souper.evaluator.EvaluatorService;
import io.souper.evaluator.EvaluatorSettings;
import io.souper.kafka.DeadLetters;
import io.souper.kafka.EmbeddedKafkaBroker;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.Topic;
import io.souper.kafka.TopicBootstrapper;
import io.souper.kafka.TopicNames;
import io.souper.metrics.MetricNames;
import io.souper.metrics.SouperMetrics;
import io.souper.streams.SouperStreamsApp;
import io.souper.streams.SouperStreamsSettings;
import io.souper.web.HttpEndpoint;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12's bad inputs, sent through Kafka to the real services as a hostile or clumsy producer
 * would send them. For each: the dead letter's reason code, the dead-letter metric, and a good event
 * handled right after it, so nothing stopped. The services are driven only through their topics and
 * public start methods, so the test outlives refactors of their insides.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputCorpusTest {

    private static final Path ARCH = Path.of("models/fmnist_cnn.pt");
    private static final Path IDX = FashionMnist.DEBIAN_DIRECTORY;
    private static final Duration WAIT = Duration.ofSeconds(90);
    /** Accepted by the broker with its default limits; a dead letter copying it whole is not. */
    private static final int NEAR_ONE_MIB = 1_048_400;

    @TempDir
    static Path tmp;

    private EmbeddedKafkaBroker broker;
    private KafkaClientConfigs clients;
    private SouperTopics topics;
    private KafkaProducer<String, byte[]> producer;
    private Path store;
    private Path architecture;
    private Path checkpoint;

    @BeforeAll
    void start() throws Exception {
        broker = EmbeddedKafkaBroker.start(tmp.resolve("kafka"));
        clients = new KafkaClientConfigs(broker.bootstrapServers(), "mock://corpus-" + UUID.randomUUID());
        topics = SouperTopics.forRegistry(clients.schemaRegistryUrl());
        try (Admin admin = Admin.create(clients.admin())) {
            new TopicBootstrapper(admin).ensure(TopicNames.all(1), (short) 1);
        }
        producer = new KafkaProducer<>(clients.producer("corpus-driver"), new StringSerializer(),
                new ByteArraySerializer());
        store = Files.createDirectories(tmp.resolve("store"));
        architecture = store.resolve("fmnist_cnn.pt");
        Files.copy(ARCH, architecture, StandardCopyOption.REPLACE_EXISTING);
        checkpoint = Files.copy(CorpusStack.goodCheckpoint(), Files.createDirectories(store.resolve("ckpt"))
                .resolve("ckpt-0.safetensors"), StandardCopyOption.REPLACE_EXISTING);
    }

    @AfterAll
    void stop() {
        if (producer != null) {
            producer.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    /**
     * The evaluator (souper.checkpoints): a 14-byte record claiming a 2^62-byte string, garbage bytes,
     * an unknown schema id, a ~1 MiB garbage value and a held-out split whose 16-byte IDX file claims
     * 2^31 pixels; then a good checkpoint, which is scored.
     */
    @Test
    void theEvaluatorDeadLettersEveryBadInputAndScoresTheNextGoodCheckpoint() throws Exception {
        Path badIdx = Files.createDirectories(store.resolve("idx16"));
        Files.write(badIdx.resolve("t10k-images-idx3-ubyte"),
                ByteBuffer.allocate(16).putInt(0x00000803).putInt(46_340).putInt(46_340).putInt(1).array());
        Files.write(badIdx.resolve("t10k-labels-idx1-ubyte"), ByteBuffer.allocate(8).putInt(0x00000801).putInt(3).array());
        SouperMetrics metrics = new SouperMetrics("evaluator");
        EvaluatorSettings settings = EvaluatorSettings.defaults(List.of(store, IDX), tmp.resolve("work"))
                .withDevice("cpu").withGroupId("corpus-evaluator");
        try (EvaluatorService evaluator = EvaluatorService.start(clients, topics, settings, metrics)) {
            publish(topics.definitions, "corpus", definition("corpus", idx(IDX, "train", 50_000, 50_200)));
            publish(topics.definitions, "idx16", definition("idx16", "file://" + badIdx.toAbsolutePath() + "?split=t10k"));
            CheckpointReady good = checkpointReady("corpus", "good-1");
            int schemaId = schemaIdOf(topics.checkpoints.valueSerde().serializer().serialize(TopicNames.CHECKPOINTS,
                    good));

            Map<String, Long> offsets = new LinkedHashMap<>();
            offsets.put("14-byte record claiming a 2^62-byte string",
                    publishRaw(TopicNames.CHECKPOINTS, "corpus", claimingString(schemaId, (1L << 62) - 1)));
            offsets.put("garbage bytes", publishRaw(TopicNames.CHECKPOINTS, "corpus",
                    "{\"checkpointId\": \"not avro\"}".getBytes(StandardCharsets.UTF_8)));
            offsets.put("unknown schema id", publishRaw(TopicNames.CHECKPOINTS, "corpus",
                    new byte[] {0, 0x7f, 0, 0, 1, 2, 'x'}));
            offsets.put("~1 MiB of garbage", publishRaw(TopicNames.CHECKPOINTS, "corpus", nearOneMib()));
            long idxOffset = publish(topics.checkpoints, "idx16", checkpointReady("idx16", "on-idx16"));
            publish(topics.checkpoints, "corpus", good);

            Map<String, EvaluationResult> results = new LinkedHashMap<>();
            readUntil(topics.evaluations, rs -> {
                rs.forEach(r -> results.put(r.value().getSubjectId(), r.value()));
                return results.containsKey("good-1") && results.containsKey("on-idx16");
            });
            EvaluationResult scored = results.get("good-1");
            assertThat(scored.getError()).as("the good checkpoint after the bad inputs").isNull();
            assertThat(scored.getHeldOut().getTotal()).isEqualTo(200);
            assertThat(results.get("on-idx16").getError().getCode()).isEqualTo("BAD_DATASET");
            assertThat(results.get("on-idx16").getError().getMessage()).contains("truncated IDX file");

            List<Long> expected = new ArrayList<>(offsets.values());
            expected.add(idxOffset);
            Map<Long, DeadLetter> letters = deadLettersFrom(TopicNames.CHECKPOINTS, expected);
            for (Map.Entry<String, Long> c : offsets.entrySet()) {
                assertThat(letters.get(c.getValue())).as(c.getKey()).isNotNull()
                        .extracting(DeadLetter::getReasonCode).isEqualTo(DeadLetters.DESERIALIZATION_FAILED);
            }
            DeadLetter huge = letters.get(offsets.get("~1 MiB of garbage"));
            assertThat(huge.getValue().remaining()).isEqualTo(DeadLetters.MAX_COPIED_VALUE_BYTES);
            assertThat(huge.getMessage()).contains("of " + NEAR_ONE_MIB + " bytes");
            assertThat(letters.get(idxOffset).getReasonCode()).isEqualTo(DeadLetters.EVALUATION_FAILED);
            assertThat(letters.get(idxOffset).getHeaders()).containsEntry("errorCode", "BAD_DATASET");

            assertThat(deadLetterCount(metrics, DeadLetters.DESERIALIZATION_FAILED)).isEqualTo(offsets.size());
            assertThat(deadLetterCount(metrics, DeadLetters.EVALUATION_FAILED)).isEqualTo(1);
            assertThat(evaluator.isRunning()).isTrue();
        } finally {
            metrics.close();
        }
    }

    /**
     * The souper (souper.evaluations): the same kinds of bad bytes, then a good result, which seeds
     * the soup. Today the 14-byte record makes the souper replace its stream thread forever.
     */
    @Test
    void theSouperDeadLettersEveryBadInputAndTakesTheNextGoodResult() throws Exception {
        SouperMetrics metrics = new SouperMetrics("streams");
        HttpEndpoint endpoint = new HttpEndpoint("localhost", 0, metrics).start();
        SouperStreamsApp souper = SouperStreamsApp.start(clients, topics, "corpus-souper",
                tmp.resolve("souper-state"), 1, SouperStreamsSettings.defaults(), metrics, new HostInfo("localhost", endpoint.port()));
        try {
            souper.awaitRunning(Duration.ofSeconds(60));
            publish(topics.definitions, "s-soup", definition("s-soup", idx(IDX, "train", 50_000, 50_200)));
            EvaluationResult good = scored("s-soup", "s-good");
            int schemaId = schemaIdOf(topics.evaluations.valueSerde().serializer().serialize(TopicNames.EVALUATIONS,
                    good));

            Map<String, Long> offsets = new LinkedHashMap<>();
            offsets.put("14-byte record claiming a 2^62-byte string",
                    publishRaw(TopicNames.EVALUATIONS, "s-soup", claimingString(schemaId, (1L << 62) - 1)));
            offsets.put("garbage bytes", publishRaw(TopicNames.EVALUATIONS, "s-soup",
                    "garbage".getBytes(StandardCharsets.UTF_8)));
            offsets.put("unknown schema id", publishRaw(TopicNames.EVALUATIONS, "s-soup",
                    new byte[] {0, 0x7f, 0, 0, 1, 2, 'x'}));
            offsets.put("~1 MiB of garbage", publishRaw(TopicNames.EVALUATIONS, "s-soup", nearOneMib()));
            publish(topics.evaluations, "s-soup", good);

            List<ConsumerRecord<String, SoupDecision>> decisions = readUntil(topics.decisions,
                    ds -> ds.stream().anyMatch(d -> d.key().equals("s-soup")));
            assertThat(decisions.stream().filter(d -> d.key().equals("s-soup")).findFirst().orElseThrow().value()
                    .getKind()).as("the good result after the bad inputs seeds the soup").isEqualTo(DecisionKind.SEEDED);

            Map<Long, DeadLetter> letters = deadLettersFrom(TopicNames.EVALUATIONS, offsets.values());
            for (Map.Entry<String, Long> c : offsets.entrySet()) {
                assertThat(letters.get(c.getValue())).as(c.getKey()).isNotNull()
                        .extracting(DeadLetter::getReasonCode).isEqualTo(DeadLetters.DESERIALIZATION_FAILED);
            }
            assertThat(letters.get(offsets.get("~1 MiB of garbage")).getValue().remaining())
                    .isEqualTo(DeadLetters.MAX_COPIED_VALUE_BYTES);
            assertThat(deadLetterCount(metrics, DeadLetters.DESERIALIZATION_FAILED)).isEqualTo(offsets.size());

            // a redefinition with another held-out set: refused (scores on other data would be compared)
            publish(topics.definitions, "s-soup", definition("s-soup", idx(IDX, "train", 50_000, 50_100)));
            publish(topics.definitions, "s-soup-2", definition("s-soup-2", idx(IDX, "train", 50_000, 50_200)));
            publish(topics.evaluations, "s-soup-2", scored("s-soup-2", "s-good-2"));
            readUntil(topics.decisions, ds -> ds.stream().anyMatch(d -> d.key().equals("s-soup-2")));
            DeadLetter conflict = readUntil(topics.deadLetters, ls -> ls.stream()
                    .anyMatch(l -> l.value().getReasonCode().equals(DeadLetters.DEFINITION_CONFLICT))).stream()
                    .map(ConsumerRecord::value).filter(l -> l.getReasonCode().equals(DeadLetters.DEFINITION_CONFLICT))
                    .findFirst().orElseThrow();
            assertThat(conflict.getMessage()).contains("held-out data");
            assertThat(deadLetterCount(metrics, DeadLetters.DEFINITION_CONFLICT)).isEqualTo(1);
        } finally {
            souper.close();
            endpoint.close();
            metrics.close();
        }
    }

    private static double deadLetterCount(SouperMetrics metrics, String reason) {
        Counter counter = metrics.registry().find(MetricNames.DEAD_LETTERS).tags("reason", reason).counter();
        return counter == null ? 0 : counter.count();
    }

    /** Dead letters of {@code topic} by original offset, once one for each of {@code offsets} arrived. */
    private Map<Long, DeadLetter> deadLettersFrom(String topic, java.util.Collection<Long> offsets) {
        Map<Long, DeadLetter> byOffset = new LinkedHashMap<>();
        readUntil(topics.deadLetters, ls -> {
            byOffset.clear();
            ls.stream().filter(l -> l.value().getOriginalTopic().equals(topic))
                    .forEach(l -> byOffset.put(l.value().getOffset(), l.value()));
            return byOffset.keySet().containsAll(offsets);
        });
        return byOffset;
    }

    /**
     * Reads {@code topic} from the start until {@code done}; records that do not decode (this test's
     * own bad inputs, on the topics they were sent to) are passed over.
     */
    private <V> List<ConsumerRecord<String, V>> readUntil(Topic<String, V> topic,
                                                           Predicate<List<ConsumerRecord<String, V>>> done) {
        List<ConsumerRecord<String, V>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(clients.consumer("corpus-" + UUID.randomUUID(),
                "corpus-reader"), topic.keySerde().deserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic.name()));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!done.test(out)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("timed out reading " + topic.name() + " after " + out.size()
                            + " records: " + out.stream().map(ConsumerRecord::value).toList());
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    V value;
                    try {
                        value = topic.valueSerde().deserializer().deserialize(topic.name(), r.value());
                    } catch (SerializationException e) {
                        continue;
                    }
                    out.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.key(), value));
                }
            }
        }
        return out;
    }

    private <V> long publish(Topic<String, V> topic, String key, V value) {
        return publishRaw(topic.name(), key, topic.valueSerde().serializer().serialize(topic.name(), value));
    }

    private long publishRaw(String topic, String key, byte[] value) {
        try {
            return producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS).offset();
        } catch (Exception e) {
            throw new AssertionError("cannot publish to " + topic + ": " + e, e);
        }
    }

    private SoupDefinition definition(String soupId, String heldOut) {
        return SoupDefinition.newBuilder().setSoupId(soupId).setArchitectureUri(architecture.toUri().toString())
                .setHeldOutUri(heldOut).setPolicy(SoupPolicy.SORTED).setAcceptRule(AcceptRule.GREATER)
                .setCreatedAt(Instant.now()).build();
    }

    private CheckpointReady checkpointReady(String soupId, String checkpointId) {
        return CheckpointReady.newBuilder().setCheckpointId(checkpointId).setSoupId(soupId)
                .setUri(checkpoint.toUri().toString()).setRunId("run-" + checkpointId).setProducedAt(Instant.now())
                .build();
    }

    private EvaluationResult scored(String soupId, String checkpointId) {
        return EvaluationResult.newBuilder().setSubjectId(checkpointId).setSoupId(soupId)
                .setSubjectKind(SubjectKind.CHECKPOINT)
                .setIngredients(List.of(IngredientRef.newBuilder().setCheckpointId(checkpointId)
                        .setUri(checkpoint.toUri().toString()).setSha256(null).build()))
                .setRunId("run-" + checkpointId)
                .setHeldOut(SplitMetrics.newBuilder().setSplit("held-out").setCorrect(150).setTotal(200)
                        .setAccuracy(0.75).build())
                .setEvaluatedAt(Instant.now())
                .build();
    }

    private static String idx(Path directory, String split, int from, int to) {
        return "file://" + directory.toAbsolutePath() + "?split=" + split + "&from=" + from + "&to=" + to;
    }

    private static int schemaIdOf(byte[] framed) {
        return ByteBuffer.wrap(framed, 1, 4).getInt();
    }

    /** Confluent framing, then the first field's length claim (a zig-zag varint) and nothing else. */
    private static byte[] claimingString(int schemaId, long length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(5).put((byte) 0).putInt(schemaId).array());
        long n = (length << 1) ^ (length >> 63);
        while ((n & ~0x7FL) != 0) {
            out.write((int) ((n & 0x7f) | 0x80));
            n >>>= 7;
        }
        out.write((int) n);
        byte[] bytes = out.toByteArray();
        assertThat(bytes).hasSize(14);
        return bytes;
    }

    private static byte[] nearOneMib() {
        byte[] garbage = new byte[NEAR_ONE_MIB];
        new Random(12).nextBytes(garbage);
        return garbage;
    }
}
