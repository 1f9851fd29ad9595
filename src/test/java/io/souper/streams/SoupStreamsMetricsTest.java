package io.souper.streams;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.souper.events.EvaluationResult;
import io.souper.events.SoupDefinition;
import io.souper.events.SoupPolicy;
import io.souper.kafka.SouperTopics;
import io.souper.metrics.MetricNames;
import io.souper.soup.Decision;
import io.souper.soup.Ignored;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The souper's meters through the real topology: every counter exists at zero before the first
 * event, a soup's gauges appear with it and go away when its task's processor closes (what a
 * rebalance that moves the soup to another instance does here), and when the soup is deleted.
 */
class SoupStreamsMetricsTest {

    @TempDir
    Path stateDir;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void countersStartAtZeroForEveryLabelValueTheSouperEmits() {
        try (TopologyTestDriver ignored = driver()) {
            for (Decision.Kind kind : Decision.Kind.values()) {
                assertThat(counter(MetricNames.DECISIONS, "kind", kind.name().toLowerCase(Locale.ROOT))).isZero();
            }
            for (Ignored reason : Ignored.values()) {
                assertThat(counter(MetricNames.RESULTS_IGNORED, "reason", reason.name().toLowerCase(Locale.ROOT))).isZero();
            }
            for (String reason : SoupStreamsMetrics.DEAD_LETTER_REASONS) {
                assertThat(counter(MetricNames.DEAD_LETTERS, "reason", reason)).isZero();
            }
            assertThat(registry.find(MetricNames.DECISIONS).counters()).hasSize(Decision.Kind.values().length);
        }
    }

    @Test
    void emittedLabelsAreTheRegisteredOnesSoNoNewSeriesAppears() {
        try (TopologyTestDriver driver = driver()) {
            int series = registry.getMeters().size();
            TestInputTopic<String, SoupDefinition> definitions = input(driver, topics.definitions);
            TestInputTopic<String, EvaluationResult> evaluations = input(driver, topics.evaluations);
            definitions.pipeInput("s", Events.definition("s", SoupPolicy.SORTED));
            evaluations.pipeInput("s", Events.checkpoint("s", "c1", 800));
            evaluations.pipeInput("s", Events.checkpoint("s", "c1", 800)); // duplicate: ignored

            assertThat(counter(MetricNames.DECISIONS, "kind", "seeded")).isEqualTo(1);
            assertThat(counter(MetricNames.RESULTS_IGNORED, "reason", "duplicate_checkpoint")).isEqualTo(1);
            // only the soup's own gauges are new: the counters were all there already
            assertThat(registry.getMeters().size() - series).isEqualTo(4);
        }
    }

    @Test
    void aSoupsGaugesGoAwayWhenItsTaskCloses() {
        TopologyTestDriver driver = driver();
        input(driver, topics.definitions).pipeInput("s", Events.definition("s", SoupPolicy.SORTED));
        input(driver, topics.evaluations).pipeInput("s", Events.checkpoint("s", "c1", 800));
        assertThat(gauge(MetricNames.SOUP_HELDOUT_ACCURACY, "s")).isEqualTo(0.8);
        assertThat(gauge(MetricNames.SOUP_TEST_ACCURACY, "s")).as("no test split in the events").isNaN();
        assertThat(gauge(MetricNames.SOUP_INGREDIENTS, "s")).isEqualTo(1);

        driver.close(); // closes the task's processor, as a revoked partition does

        assertThat(soupMeters("s")).isEmpty();
        assertThat(counter(MetricNames.DECISIONS, "kind", "seeded")).as("counters stay").isEqualTo(1);
    }

    @Test
    void aDeletedSoupsGaugesGoAway() {
        try (TopologyTestDriver driver = driver()) {
            TestInputTopic<String, SoupDefinition> definitions = input(driver, topics.definitions);
            definitions.pipeInput("s", Events.definition("s", SoupPolicy.SORTED));
            definitions.pipeInput("t", Events.definition("t", SoupPolicy.SORTED));
            TestInputTopic<String, EvaluationResult> evaluations = input(driver, topics.evaluations);
            evaluations.pipeInput("s", Events.checkpoint("s", "c1", 800));
            evaluations.pipeInput("t", Events.checkpoint("t", "c1", 700));

            definitions.pipeInput("s", (SoupDefinition) null);

            assertThat(soupMeters("s")).isEmpty();
            assertThat(gauge(MetricNames.SOUP_HELDOUT_ACCURACY, "t")).isEqualTo(0.7);
        }
    }

    // ---- fixture ----

    private SouperTopics topics;

    private TopologyTestDriver driver() {
        topics = SouperTopics.forRegistry("mock://metrics-" + UUID.randomUUID());
        StreamsBuilder builder = new StreamsBuilder();
        SouperTopology.build(builder, topics, new SouperStreamsSettings(Duration.ofMinutes(5), 3, Duration.ofSeconds(10)),
                registry);
        return new TopologyTestDriver(builder.build(),
                SouperStreamsConfig.create("unused:9092", "souper-metrics-test", stateDir, null, 1),
                Instant.ofEpochMilli(1_000_000));
    }

    private static <V> TestInputTopic<String, V> input(TopologyTestDriver driver, io.souper.kafka.Topic<String, V> topic) {
        return driver.createInputTopic(topic.name(), topic.keySerde().serializer(), topic.valueSerde().serializer());
    }

    private double counter(String name, String tag, String value) {
        Counter c = registry.find(name).tag(tag, value).counter();
        assertThat(c).as("%s{%s=%s}", name, tag, value).isNotNull();
        return c.count();
    }

    private double gauge(String name, String soup) {
        return registry.get(name).tag("soup", soup).gauge().value();
    }

    private java.util.List<Meter> soupMeters(String soup) {
        return registry.getMeters().stream().filter(m -> soup.equals(m.getId().getTag("soup"))).toList();
    }
}
