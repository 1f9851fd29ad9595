package io.souper.streams;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.souper.events.DeadLetter;
import io.souper.events.EvaluationRequest;
import io.souper.events.SoupDecision;
import io.souper.events.SoupDefinition;
import io.souper.events.SoupPolicy;
import io.souper.events.SoupUpdated;
import io.souper.events.WaitingResult;
import io.souper.kafka.DeadLetters;
import io.souper.kafka.Faults;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.TopicNames;
import io.souper.metrics.MetricNames;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The processor alone, on in-memory stores, with its punctuator fired by hand. */
class SoupProcessorTest {

    private final String registryUrl = "mock://processor-" + UUID.randomUUID();
    /** What the producers write with: the registry as it is. */
    private final SouperTopics topics = SouperTopics.forRegistry(registryUrl);
    /** What the souper reads with: the same registry, through a client that can lose it. */
    private final SwitchableRegistry registry = new SwitchableRegistry(SouperTopics.forRegistry(registryUrl).registry());
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private MockProcessorContext<String, SpecificRecord> context;
    private SoupProcessor processor;
    private long offset;

    /** The task's state directory as Kafka Streams lays it out: {@code <state.dir>/<application id>/<task>}. */
    @TempDir
    Path stateDir;

    @BeforeEach
    void init() throws Exception {
        Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, "souper-test");
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        Path taskDir = Files.createDirectories(stateDir.resolve("souper-test").resolve("0_0"));
        context = new MockProcessorContext<>(config, new TaskId(0, 0), taskDir.toFile());
        // the mock context names every store's changelog "changelog": one registry scope per store
        store(StoreNames.DEFINITIONS, storeSerde(SoupDefinition.class));
        store(StoreNames.STATE, Serdes.ByteArray());
        store(StoreNames.LATEST, storeSerde(SoupUpdated.class));
        store(StoreNames.DECISIONS, storeSerde(SoupDecision.class));
        store(StoreNames.WAITING, storeSerde(WaitingResult.class));
        store(StoreNames.WAITING_COUNTS, Serdes.Integer());
        restart();
    }

    /** A new processor on the same stores and state directory: a replaced stream thread or a restarted process. */
    private void restart() {
        processor = new SoupProcessor(new SouperTopics(registry.client()), new SouperStreamsSettings(Duration.ofMinutes(1), 10, Duration.ofSeconds(5)),
                new SoupStreamsMetrics(meters));
        processor.init(context);
        context.resetForwards();
    }

    @Test
    void aRecordThatFailsTheSouperThreeTimesIsSkippedAsPoisonEvenAcrossRestarts() {
        pipe(TopicNames.DEFINITIONS, "s", definitionBytes("s"), 1);
        pipe(TopicNames.DEFINITIONS, "t", definitionBytes("t"), 1);
        KeyValueStore<String, byte[]> states = context.getStateStore(StoreNames.STATE);
        states.put("s", "{\"format\": 99}".getBytes(StandardCharsets.UTF_8)); // a state the core cannot read: a bug
        byte[] result = resultBytes("s", "c1", 800);
        for (int attempt = 1; attempt <= SouperStreamsSettings.DEFAULT_POISON_ATTEMPTS; attempt++) {
            restart();
            context.setRecordMetadata(TopicNames.EVALUATIONS, 0, 41);
            assertThatThrownBy(() -> processor.process(new Record<>("s", result, 2))).as("attempt %d", attempt)
                    .satisfies(e -> assertThat(Faults.classify(e)).isEqualTo(Faults.Fault.BUG));
            assertThat(context.forwarded()).isEmpty();
        }
        restart();
        context.setRecordMetadata(TopicNames.EVALUATIONS, 0, 41);
        processor.process(new Record<>("s", result, 2));
        assertThat(context.forwarded()).singleElement().satisfies(f -> {
            DeadLetter letter = (DeadLetter) f.record().value();
            assertThat(letter.getReasonCode()).isEqualTo(DeadLetters.REPEATED_CRASH);
            assertThat(letter.getOffset()).isEqualTo(41);
            assertThat(letter.getMessage()).contains("failed 3 times");
            assertThat(f.record().key()).isEqualTo("s");
        });
        assertThat(meters.counter(MetricNames.DEAD_LETTERS, "reason", DeadLetters.REPEATED_CRASH).count()).isEqualTo(1);
        assertThat(stateDir.resolve("souper-test").resolve(PoisonAttempts.FILE_PREFIX + "0_0"))
                .as("the count goes once the record is skipped").doesNotExist();

        context.resetForwards();
        pipe(TopicNames.EVALUATIONS, "t", resultBytes("t", "c1", 800), 3);
        assertThat(context.forwarded()).extracting(f -> f.record().value().getClass().getSimpleName())
                .as("the next soup's result is applied").containsExactly("SoupDecision", "SoupUpdated");
    }

    @Test
    void anOutageIsNeverCountedAsPoisonHoweverOftenTheRecordIsRetried() {
        pipe(TopicNames.DEFINITIONS, "s", definitionBytes("s"), 1);
        byte[] result = resultBytes("s", "c1", 800);
        registry.down();
        for (int attempt = 1; attempt <= SouperStreamsSettings.DEFAULT_POISON_ATTEMPTS + 2; attempt++) {
            restart();
            context.setRecordMetadata(TopicNames.EVALUATIONS, 0, 41);
            assertThatThrownBy(() -> processor.process(new Record<>("s", result, 2)))
                    .satisfies(e -> assertThat(Faults.classify(e)).isEqualTo(Faults.Fault.WORLD));
        }
        registry.up();
        restart();
        context.setRecordMetadata(TopicNames.EVALUATIONS, 0, 41);
        processor.process(new Record<>("s", result, 2));
        assertThat(context.forwarded()).extracting(f -> f.record().value().getClass().getSimpleName())
                .containsExactly("SoupDecision", "SoupUpdated");
    }

    @Test
    void punctuatorDeadLettersResultsWhoseDefinitionNeverCame() {
        pipe(TopicNames.EVALUATIONS, "ghost", topics.evaluations.valueSerde().serializer()
                .serialize(TopicNames.EVALUATIONS, Events.checkpoint("ghost", "c1", 500)), 10_000);
        assertThat(context.forwarded()).isEmpty();
        assertThat(context.scheduledPunctuators()).hasSize(1);

        context.scheduledPunctuators().get(0).getPunctuator().punctuate(10_000 + 30_000);
        assertThat(context.forwarded()).isEmpty();   // 30 s is within the minute it may wait

        context.scheduledPunctuators().get(0).getPunctuator().punctuate(10_000 + 61_000);
        assertThat(context.forwarded()).singleElement().satisfies(f -> {
            DeadLetter letter = (DeadLetter) f.record().value();
            assertThat(letter.getReasonCode()).isEqualTo(DeadLetters.UNKNOWN_SOUP);
            assertThat(f.record().key()).isEqualTo("ghost");
        });
        assertThat(meters.counter(MetricNames.DEAD_LETTERS, "reason", DeadLetters.UNKNOWN_SOUP).count()).isEqualTo(1);

        context.resetForwards();
        context.scheduledPunctuators().get(0).getPunctuator().punctuate(10_000 + 120_000);
        assertThat(context.forwarded()).isEmpty();   // sent once, then forgotten
    }

    @Test
    void emitsDecisionThenUpdateThenRequestAndCountsDecisions() {
        pipe(TopicNames.DEFINITIONS, "s", topics.definitions.valueSerde().serializer()
                .serialize(TopicNames.DEFINITIONS, Events.definition("s", SoupPolicy.ONLINE)), 1);
        pipe(TopicNames.EVALUATIONS, "s", topics.evaluations.valueSerde().serializer()
                .serialize(TopicNames.EVALUATIONS, Events.checkpoint("s", "c1", 500)), 2);
        pipe(TopicNames.EVALUATIONS, "s", topics.evaluations.valueSerde().serializer()
                .serialize(TopicNames.EVALUATIONS, Events.checkpoint("s", "c2", 400)), 3);

        assertThat(context.forwarded()).extracting(f -> f.record().value().getClass().getSimpleName())
                .containsExactly("SoupDecision", "SoupUpdated", "EvaluationRequest");
        EvaluationRequest request = (EvaluationRequest) context.forwarded().get(2).record().value();
        assertThat(request.getBaseVersion()).isEqualTo(1);
        assertThat(context.forwarded()).allSatisfy(f -> assertThat(f.record().timestamp()).isIn(2L, 3L));
        assertThat(meters.counter(MetricNames.DECISIONS, "kind", "seeded").count()).isEqualTo(1);
        assertThat(meters.get(MetricNames.SOUP_INGREDIENTS).tag("soup", "s").gauge().value()).isEqualTo(1);
    }

    @Test
    void aRegistryOutageFailsTheRecordWithoutDeadLetteringItAndTheRetryAppliesIt() {
        pipe(TopicNames.DEFINITIONS, "s", definitionBytes("s"), 1);
        byte[] result = resultBytes("s", "c1", 800);

        registry.down();
        context.setRecordMetadata(TopicNames.EVALUATIONS, 0, 41);
        assertThatThrownBy(() -> processor.process(new Record<>("s", result, 2)))
                .satisfies(e -> assertThat(Faults.classify(e)).isEqualTo(Faults.Fault.WORLD))
                .hasMessageContaining("not reachable");
        assertThat(context.forwarded()).isEmpty();
        assertThat(meters.find(MetricNames.DEAD_LETTERS).counters()).allSatisfy(c -> assertThat(c.count()).isZero());

        // Kafka Streams hands the same record (same offset) to the task again once it is back
        registry.up();
        context.setRecordMetadata(TopicNames.EVALUATIONS, 0, 41);
        processor.process(new Record<>("s", result, 2));
        assertThat(context.forwarded()).extracting(f -> f.record().value().getClass().getSimpleName())
                .containsExactly("SoupDecision", "SoupUpdated");
        SoupUpdated soup = (SoupUpdated) context.forwarded().get(1).record().value();
        assertThat(soup.getIngredients()).extracting(i -> i.getCheckpointId()).containsExactly("c1");
    }

    @Test
    void anUnreadableRecordIsDeadLetteredAndTheNextOneIsApplied() {
        pipe(TopicNames.DEFINITIONS, "s", definitionBytes("s"), 1);
        // the wire format's magic byte, then a schema id no registry has
        byte[] garbage = "\0\u007f\u007f\u007f\u007f not avro".getBytes(StandardCharsets.UTF_8);
        pipe(TopicNames.EVALUATIONS, "s", garbage, 2);
        pipe(TopicNames.EVALUATIONS, "s", resultBytes("s", "c1", 800), 3);

        assertThat(context.forwarded()).extracting(f -> f.record().value().getClass().getSimpleName())
                .containsExactly("DeadLetter", "SoupDecision", "SoupUpdated");
        DeadLetter letter = (DeadLetter) context.forwarded().get(0).record().value();
        assertThat(letter.getReasonCode()).isEqualTo(DeadLetters.DESERIALIZATION_FAILED);
        assertThat(letter.getMessage()).contains("Unknown schema id " + 0x7f7f7f7f);
        assertThat(meters.counter(MetricNames.DEAD_LETTERS, "reason", DeadLetters.DESERIALIZATION_FAILED).count())
                .isEqualTo(1);
    }

    @Test
    void aResultWaitingForItsDefinitionDuringAnOutageIsNotDeadLetteredEither() {
        pipe(TopicNames.EVALUATIONS, "late", resultBytes("late", "c1", 800), 1);
        assertThat(context.forwarded()).isEmpty();

        // the definition releases the waiting result, whose schema the souper has not read yet
        registry.down();
        context.setRecordMetadata(TopicNames.DEFINITIONS, 0, 77);
        Record<String, byte[]> definition = new Record<>("late", definitionBytes("late"), 2);
        assertThatThrownBy(() -> processor.process(definition))
                .satisfies(e -> assertThat(Faults.classify(e)).isEqualTo(Faults.Fault.WORLD));
        assertThat(context.forwarded()).isEmpty();
    }

    @Test
    void aStateTheCoreCannotReadFailsLoudlyInsteadOfBecomingADeadLetter() {
        pipe(TopicNames.DEFINITIONS, "s", definitionBytes("s"), 1);
        KeyValueStore<String, byte[]> states = context.getStateStore(StoreNames.STATE);
        states.put("s", "{\"format\": 99}".getBytes(StandardCharsets.UTF_8));

        context.setRecordMetadata(TopicNames.EVALUATIONS, 0, 5);
        assertThatThrownBy(() -> processor.process(new Record<>("s", resultBytes("s", "c1", 800), 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("soup state");
        assertThat(context.forwarded()).isEmpty();
    }

    @Test
    void aDefinitionTheCoreRefusesIsDeadLetteredAndDefinesNothing() {
        pipe(TopicNames.DEFINITIONS, "a#b", definitionBytes("a#b"), 1);
        assertThat(context.forwarded()).singleElement().satisfies(f -> {
            DeadLetter letter = (DeadLetter) f.record().value();
            assertThat(letter.getReasonCode()).isEqualTo(DeadLetters.INVALID_EVENT);
            assertThat(letter.getMessage()).contains("'#'");
        });
        KeyValueStore<String, SoupDefinition> definitions = context.getStateStore(StoreNames.DEFINITIONS);
        assertThat(definitions.get("a#b")).isNull();
    }

    @Test
    void waitingIsCountedInTheStoreAndTheCountFollowsReleaseAndExpiry() {
        KeyValueStore<String, Integer> counts = context.getStateStore(StoreNames.WAITING_COUNTS);
        pipe(TopicNames.EVALUATIONS, "x", resultBytes("x", "c1", 800), 1_000);
        pipe(TopicNames.EVALUATIONS, "x", resultBytes("x", "c2", 700), 2_000);
        pipe(TopicNames.EVALUATIONS, "y", resultBytes("y", "c1", 700), 50_000);
        assertThat(counts.get("x")).isEqualTo(2);
        assertThat(counts.get("y")).isEqualTo(1);

        pipe(TopicNames.DEFINITIONS, "x", definitionBytes("x"), 60_000);
        assertThat(counts.get("x")).isNull();
        assertThat(context.forwarded()).extracting(f -> f.record().timestamp())
                .as("released results keep their own time").contains(1_000L, 2_000L).doesNotContain(60_000L);

        context.resetForwards();
        context.scheduledPunctuators().get(0).getPunctuator().punctuate(50_000 + 61_000);
        assertThat(counts.get("y")).isNull();
        assertThat(context.forwarded()).singleElement()
                .satisfies(f -> assertThat(((DeadLetter) f.record().value()).getReasonCode()).isEqualTo(DeadLetters.UNKNOWN_SOUP));
    }

    private byte[] definitionBytes(String soupId) {
        return topics.definitions.valueSerde().serializer()
                .serialize(TopicNames.DEFINITIONS, Events.definition(soupId, SoupPolicy.SORTED));
    }

    private byte[] resultBytes(String soupId, String checkpointId, long correct) {
        return topics.evaluations.valueSerde().serializer()
                .serialize(TopicNames.EVALUATIONS, Events.checkpoint(soupId, checkpointId, correct));
    }

    private void pipe(String topic, String key, byte[] value, long timestamp) {
        context.setRecordMetadata(topic, 0, offset++);
        processor.process(new Record<>(key, value, timestamp));
    }

    private static <V extends SpecificRecord> Serde<V> storeSerde(Class<V> type) {
        return SouperTopics.forRegistry("mock://store-" + UUID.randomUUID()).serde(type);
    }

    private <V> void store(String name, Serde<V> valueSerde) {
        KeyValueStore<String, V> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name),
                Serdes.String(), valueSerde).withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
    }
}
