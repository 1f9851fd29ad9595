package io.souper.streams;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.souper.events.DeadLetter;
import io.souper.events.EvaluationRequest;
import io.souper.events.SoupDecision;
import io.souper.events.SoupDefinition;
import io.souper.events.SoupPolicy;
import io.souper.events.SoupUpdated;
import io.souper.kafka.DeadLetters;
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

import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The processor alone, on in-memory stores, with its punctuator fired by hand. */
class SoupProcessorTest {

    private final SouperTopics topics = SouperTopics.forRegistry("mock://processor-" + UUID.randomUUID());
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private MockProcessorContext<String, SpecificRecord> context;
    private SoupProcessor processor;
    private long offset;

    @BeforeEach
    void init() {
        context = new MockProcessorContext<>();
        // the mock context names every store's changelog "changelog": one registry scope per store
        store(StoreNames.DEFINITIONS, storeSerde(SoupDefinition.class));
        store(StoreNames.STATE, Serdes.ByteArray());
        store(StoreNames.LATEST, storeSerde(SoupUpdated.class));
        store(StoreNames.DECISIONS, storeSerde(SoupDecision.class));
        store(StoreNames.WAITING, storeSerde(DeadLetter.class));
        processor = new SoupProcessor(topics, new SouperStreamsSettings(Duration.ofMinutes(1), 10, Duration.ofSeconds(5)),
                new SoupStreamsMetrics(meters));
        processor.init(context);
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
