package io.souper.streams;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.souper.events.DeadLetter;
import io.souper.events.DecisionKind;
import io.souper.events.EvaluationRequest;
import io.souper.events.EvaluationResult;
import io.souper.events.IngredientRef;
import io.souper.events.SoupDecision;
import io.souper.events.SoupDefinition;
import io.souper.events.SoupPolicy;
import io.souper.events.SoupUpdated;
import io.souper.events.SplitMetrics;
import io.souper.kafka.DeadLetters;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.Topic;
import io.souper.kafka.TopicNames;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class SouperTopologyTest {

    @TempDir
    Path stateDir;

    /**
     * Every record through the repartition topic here; {@link SouperTopologyHomePartitionTest} runs the same
     * tests with the placement known, where the test driver's records (all on partition 0 of one) skip it.
     */
    SoupPlacement placement() {
        return SoupPlacement.UNKNOWN;
    }

    private TopologyTestDriver driver;
    private TestInputTopic<String, SoupDefinition> definitions;
    private TestInputTopic<String, EvaluationResult> evaluations;
    private TestInputTopic<String, byte[]> rawEvaluations;
    private TestOutputTopic<String, EvaluationRequest> candidates;
    private TestOutputTopic<String, SoupDecision> decisions;
    private TestOutputTopic<String, SoupUpdated> updates;
    private TestOutputTopic<String, DeadLetter> deadLetters;

    @BeforeEach
    void start() {
        SouperTopics topics = SouperTopics.forRegistry("mock://topology-" + UUID.randomUUID());
        StreamsBuilder builder = new StreamsBuilder();
        SouperTopology.build(builder, topics, new SouperStreamsSettings(Duration.ofMinutes(5), 3, Duration.ofSeconds(10)),
                new SimpleMeterRegistry(), placement());
        Properties props = SouperStreamsConfig.create("unused:9092", "souper-test", stateDir, null, 1);
        driver = new TopologyTestDriver(builder.build(), props, Instant.ofEpochMilli(1_000_000));
        definitions = input(topics.definitions);
        evaluations = input(topics.evaluations);
        rawEvaluations = driver.createInputTopic(TopicNames.EVALUATIONS, Serdes.String().serializer(), Serdes.ByteArray().serializer());
        candidates = output(topics.candidates);
        decisions = output(topics.decisions);
        updates = output(topics.updates);
        deadLetters = output(topics.deadLetters);
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    @Test
    void sortedSoupSeedsAsksForTheNextSetAndAcceptsABetterAverage() {
        definitions.pipeInput("s", Events.definition("s", SoupPolicy.SORTED));
        evaluations.pipeInput("s", Events.checkpoint("s", "c1", 800));

        assertThat(decisions.readValue().getKind()).isEqualTo(DecisionKind.SEEDED);
        SoupUpdated first = updates.readValue();
        assertThat(first.getVersion()).isEqualTo(1);
        assertThat(first.getIngredients()).extracting(i -> i.getCheckpointId()).containsExactly("c1");
        assertThat(first.getHeldOut().getAccuracy()).isEqualTo(0.8);

        evaluations.pipeInput("s", Events.checkpoint("s", "c2", 850));
        EvaluationRequest request = candidates.readValue();
        assertThat(request.getSoupId()).isEqualTo("s");
        assertThat(request.getIngredients()).extracting(IngredientRef::getCheckpointId).containsExactlyInAnyOrder("c1", "c2");

        evaluations.pipeInput("s", Events.answer(request, 900));
        List<SoupDecision> made = decisions.readValuesToList();
        assertThat(made).extracting(SoupDecision::getKind).contains(DecisionKind.ACCEPTED);
        List<SoupUpdated> versions = updates.readValuesToList();
        SoupUpdated soup = versions.get(versions.size() - 1);
        assertThat(soup.getIngredients()).extracting(i -> i.getCheckpointId()).containsExactlyInAnyOrder("c1", "c2");
        assertThat(soup.getHeldOut().getAccuracy()).isEqualTo(0.9);
        assertThat(soup.getArtifactUri()).isEqualTo("file:///artifacts/" + request.getRequestId());
        assertThat(candidates.isEmpty()).isTrue();
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    @Test
    void duplicateAndStaleResultsChangeNothing() {
        definitions.pipeInput("s", Events.definition("s", SoupPolicy.SORTED));
        evaluations.pipeInput("s", Events.checkpoint("s", "c1", 800));
        evaluations.pipeInput("s", Events.checkpoint("s", "c2", 700));
        EvaluationRequest request = candidates.readValue();
        evaluations.pipeInput("s", Events.answer(request, 750));
        decisions.readValuesToList();
        updates.readValuesToList();

        evaluations.pipeInput("s", Events.answer(request, 990));          // redelivered, with another score
        evaluations.pipeInput("s", Events.checkpoint("s", "c1", 800));    // checkpoint scored twice
        assertThat(decisions.isEmpty()).isTrue();
        assertThat(updates.isEmpty()).isTrue();
        assertThat(candidates.isEmpty()).isTrue();
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    @Test
    void unreadableBytesGoToTheDeadLetterTopicAndProcessingContinues() {
        definitions.pipeInput("s", Events.definition("s", SoupPolicy.SORTED));
        byte[] garbage = "not avro".getBytes(StandardCharsets.UTF_8);
        rawEvaluations.pipeInput("s", garbage);
        evaluations.pipeInput("s", Events.checkpoint("s", "c1", 800));

        DeadLetter letter = deadLetters.readValue();
        assertThat(letter.getReasonCode()).isEqualTo(DeadLetters.DESERIALIZATION_FAILED);
        assertThat(letter.getOriginalTopic()).isEqualTo(TopicNames.EVALUATIONS);
        assertThat(letter.getMessage()).contains("magic byte");
        assertThat(bytes(letter.getValue())).isEqualTo(garbage);
        assertThat(letter.getComponent()).isEqualTo("souper-streams");
        assertThat(updates.readValue().getIngredients()).hasSize(1);
    }

    @Test
    void resultsWaitForTheirDefinitionThenExpireToTheDeadLetterTopic() {
        evaluations.pipeInput("late", Events.checkpoint("late", "c1", 800));
        assertThat(updates.isEmpty()).isTrue();
        definitions.pipeInput("late", Events.definition("late", SoupPolicy.SORTED));
        assertThat(updates.readValue().getIngredients()).extracting(i -> i.getCheckpointId()).containsExactly("c1");

        evaluations.pipeInput("never", Events.checkpoint("never", "c9", 800), Instant.ofEpochMilli(1_000_000));
        // the wait is measured in the records' time: the wall clock alone expires nothing
        driver.advanceWallClockTime(Duration.ofMinutes(6));
        assertThat(deadLetters.isEmpty()).isTrue();
        evaluations.pipeInput("late", Events.checkpoint("late", "c2", 700), Instant.ofEpochMilli(1_000_000 + 240_000));
        assertThat(deadLetters.isEmpty()).as("4 of the 5 minutes it may wait").isTrue();

        evaluations.pipeInput("late", Events.checkpoint("late", "c3", 700), Instant.ofEpochMilli(1_000_000 + 310_000));
        DeadLetter letter = deadLetters.readValue();
        assertThat(letter.getReasonCode()).isEqualTo(DeadLetters.UNKNOWN_SOUP);
        assertThat(letter.getMessage()).contains("never");
        assertThat(letter.getOffset()).isEqualTo(1);
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    @Test
    void waitingIsBoundedPerSoup() {
        for (int i = 0; i < 4; i++) {
            evaluations.pipeInput("crowded", Events.checkpoint("crowded", "c" + i, 800));
        }
        assertThat(deadLetters.readValuesToList()).singleElement()
                .satisfies(l -> assertThat(l.getReasonCode()).isEqualTo(DeadLetters.UNKNOWN_SOUP));
    }

    @Test
    void invalidEventsAreDeadLetteredWithTheirReason() {
        definitions.pipeInput("s", Events.definition("s", SoupPolicy.SORTED));
        evaluations.pipeInput("s", Events.checkpoint("other", "c1", 800));
        assertThat(deadLetters.readValue().getMessage()).contains("keyed 's' names soup 'other'");

        evaluations.pipeInput("s", EvaluationResult.newBuilder(Events.checkpoint("s", "c2", 800)).setHeldOut(null).build());
        assertThat(deadLetters.readValue().getMessage()).contains("neither a held-out score nor an error");

        // what the soup core refuses as impossible input is the record's fault too
        evaluations.pipeInput("s", EvaluationResult.newBuilder(Events.checkpoint("s", "c3", 800))
                .setHeldOut(SplitMetrics.newBuilder(Events.split(800)).setCorrect(1_001).build()).build());
        DeadLetter impossible = deadLetters.readValue();
        assertThat(impossible.getReasonCode()).isEqualTo(DeadLetters.INVALID_EVENT);
        assertThat(impossible.getMessage()).contains("c3").contains("within [0, 1000], got 1001");

        definitions.pipeInput("s", Events.definition("s", SoupPolicy.ONLINE));
        DeadLetter conflict = deadLetters.readValue();
        assertThat(conflict.getReasonCode()).isEqualTo(DeadLetters.DEFINITION_CONFLICT);
        assertThat(updates.isEmpty()).isTrue();
    }

    @Test
    void anAnswerForOtherIngredientsThanRequestedIsDeadLetteredAndTheSoupWaitsOn() {
        definitions.pipeInput("s", Events.definition("s", SoupPolicy.SORTED));
        evaluations.pipeInput("s", Events.checkpoint("s", "c1", 800));
        evaluations.pipeInput("s", Events.checkpoint("s", "c2", 700));
        EvaluationRequest request = candidates.readValue();
        EvaluationRequest tampered = EvaluationRequest.newBuilder(request)
                .setIngredients(List.of(Events.ref("c1"), Events.ref("c9"))).build();
        evaluations.pipeInput("s", Events.answer(tampered, 990));
        assertThat(deadLetters.readValue().getReasonCode()).isEqualTo(DeadLetters.INVALID_EVENT);

        decisions.readValuesToList();
        evaluations.pipeInput("s", Events.answer(request, 750));   // the real answer still counts
        assertThat(decisions.readValue().getKind()).isEqualTo(DecisionKind.REJECTED);
    }

    @Test
    void failedCheckpointIsRecordedButNeverAnIngredient() {
        definitions.pipeInput("s", Events.definition("s", SoupPolicy.ONLINE));
        evaluations.pipeInput("s", Events.failedCheckpoint("s", "bad"));
        evaluations.pipeInput("s", Events.checkpoint("s", "good", 700));
        List<SoupDecision> made = decisions.readValuesToList();
        assertThat(made).extracting(SoupDecision::getKind).containsExactly(DecisionKind.FAILED, DecisionKind.SEEDED);
        List<SoupUpdated> versions = updates.readValuesToList();
        SoupUpdated soup = versions.get(versions.size() - 1);
        assertThat(soup.getIngredients()).extracting(i -> i.getCheckpointId()).containsExactly("good");
        assertThat(soup.getFailedCount()).isEqualTo(1);
    }

    @Test
    void inputsAreRepartitionedBySoupIdThroughOneInternalTopic() {
        StreamsBuilder builder = new StreamsBuilder();
        SouperTopology.build(builder, SouperTopics.forRegistry("mock://shape-" + UUID.randomUUID()),
                new SouperStreamsSettings(Duration.ofMinutes(5), 3, Duration.ofSeconds(10)), new SimpleMeterRegistry());
        String shape = builder.build().describe().toString();
        // sub-topology 0 reads the input topics and writes the repartition topic; 1 reads it and keeps the soups
        assertThat(shape).contains("topics: [" + TopicNames.DEFINITIONS + ", " + TopicNames.EVALUATIONS + "]")
                .contains("(topic: " + SouperTopology.BY_SOUP + "-repartition)")
                .contains("(topics: [" + SouperTopology.BY_SOUP + "-repartition])")
                .contains("Sub-topology: 1");
    }

    @Test
    void withAKnownPlacementOnlyRecordsOffTheirSoupsPartitionTakeTheRepartitionTopic() {
        StreamsBuilder builder = new StreamsBuilder();
        SouperTopology.build(builder, SouperTopics.forRegistry("mock://shape-" + UUID.randomUUID()),
                new SouperStreamsSettings(Duration.ofMinutes(5), 3, Duration.ofSeconds(10)), new SimpleMeterRegistry(),
                SoupPlacement.of(3));
        String shape = builder.build().describe().toString();
        // one sub-topology reads the inputs and the repartition topic, which it also writes
        assertThat(shape).contains("topics: [" + TopicNames.DEFINITIONS + ", " + TopicNames.EVALUATIONS + "]")
                .contains("(topic: " + SouperTopology.BY_SOUP + "-repartition)")
                .contains("(topics: [" + SouperTopology.BY_SOUP + "-repartition])")
                .doesNotContain("Sub-topology: 1");
        SoupPlacement placement = SoupPlacement.of(3);
        // the partition a Java producer's default partitioner gives the key
        int home = org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(
                "soup-0000".getBytes(StandardCharsets.UTF_8))) % 3;
        assertThat(placement.isHome("soup-0000", home)).isTrue();
        assertThat(placement.isHome("soup-0000", (home + 1) % 3)).isFalse();
        assertThat(placement.isHome(null, home)).isFalse();
        assertThat(SoupPlacement.UNKNOWN.isHome("soup-0000", home)).isFalse();
    }

    @Test
    void aRecordWithoutAKeyIsDeadLetteredWithItsOriginAfterTheRepartition() {
        definitions.pipeInput("s", Events.definition("s", SoupPolicy.SORTED));
        evaluations.pipeInput((String) null, Events.checkpoint("s", "c1", 800));
        DeadLetter letter = deadLetters.readValue();
        assertThat(letter.getReasonCode()).isEqualTo(DeadLetters.INVALID_EVENT);
        assertThat(letter.getOriginalTopic()).isEqualTo(TopicNames.EVALUATIONS);
        assertThat(letter.getOffset()).isZero();
        assertThat(letter.getMessage()).contains("without a key");
    }

    @Test
    void aRecordTooLargeToRepartitionIsDeadLetteredAndTheNextIsTaken() {
        definitions.pipeInput("s", Events.definition("s", SoupPolicy.SORTED));
        // the broker takes a value of almost 1 MiB; with the repartition's headers it would not fit again
        rawEvaluations.pipeInput("s", new byte[1_048_400]);
        DeadLetter letter = deadLetters.readValue();
        assertThat(letter.getReasonCode()).isEqualTo(DeadLetters.DESERIALIZATION_FAILED);
        assertThat(letter.getOriginalTopic()).isEqualTo(TopicNames.EVALUATIONS);
        assertThat(letter.getMessage()).contains("1048401 bytes").contains("larger than any Souper event");
        assertThat(letter.getValue().remaining()).isLessThanOrEqualTo(DeadLetters.MAX_COPIED_VALUE_BYTES);

        evaluations.pipeInput("s", Events.checkpoint("s", "c1", 800));
        assertThat(decisions.readValue().getKind()).isEqualTo(DecisionKind.SEEDED);
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    @Test
    void aCheckpointScoredOnAnEmptyHeldOutSplitIsDecidedFailedNotDeadLettered() {
        definitions.pipeInput("s", Events.definition("s", SoupPolicy.SORTED));
        SplitMetrics empty = SplitMetrics.newBuilder().setSplit("held-out").setCorrect(0).setTotal(0)
                .setAccuracy(0.0).build();
        evaluations.pipeInput("s", EvaluationResult.newBuilder(Events.checkpoint("s", "hollow", 0))
                .setHeldOut(empty).build());

        assertThat(deadLetters.isEmpty()).isTrue();
        assertThat(decisions.readValue()).satisfies(d -> {
            assertThat(d.getKind()).isEqualTo(DecisionKind.FAILED);
            assertThat(d.getCheckpointId()).isEqualTo("hollow");
            assertThat(d.getReason()).contains(EventMapping.EMPTY_HELD_OUT).contains("0 images");
        });

        // a candidate scored on 0 images is a failed candidate: decided, the soup moves on
        evaluations.pipeInput("s", Events.checkpoint("s", "c1", 800));
        evaluations.pipeInput("s", Events.checkpoint("s", "c2", 700));
        EvaluationRequest request = candidates.readValue();
        decisions.readValuesToList();
        evaluations.pipeInput("s", EvaluationResult.newBuilder(Events.answer(request, 0)).setHeldOut(empty).build());
        assertThat(deadLetters.isEmpty()).isTrue();
        assertThat(decisions.readValue()).satisfies(d -> {
            assertThat(d.getKind()).isEqualTo(DecisionKind.REJECTED);
            assertThat(d.getCheckpointId()).isEqualTo("c2");
            assertThat(d.getReason()).contains(EventMapping.EMPTY_HELD_OUT);
        });
    }

    @Test
    void aRetriableCheckpointFailureIsEvaluatedAgainWhenPublishedAgain() {
        definitions.pipeInput("s", Events.definition("s", SoupPolicy.ONLINE));
        evaluations.pipeInput("s", EvaluationResult.newBuilder(Events.failedCheckpoint("s", "c1"))
                .setError(io.souper.events.EvaluationError.newBuilder().setCode("IO_ERROR")
                        .setMessage("store did not answer").setRetriable(true).build()).build());
        assertThat(decisions.readValue().getKind()).isEqualTo(DecisionKind.FAILED);

        evaluations.pipeInput("s", Events.checkpoint("s", "c1", 800));

        assertThat(decisions.readValue().getKind()).isEqualTo(DecisionKind.SEEDED);
        SoupUpdated soup = updates.readValuesToList().get(0);
        assertThat(soup.getIngredients()).extracting(i -> i.getCheckpointId()).containsExactly("c1");
        assertThat(soup.getFailedCount()).isZero();
    }

    private <V extends org.apache.avro.specific.SpecificRecord> TestInputTopic<String, V> input(Topic<String, V> topic) {
        return driver.createInputTopic(topic.name(), topic.keySerde().serializer(), topic.valueSerde().serializer());
    }

    private <V extends org.apache.avro.specific.SpecificRecord> TestOutputTopic<String, V> output(Topic<String, V> topic) {
        return driver.createOutputTopic(topic.name(), topic.keySerde().deserializer(), topic.valueSerde().deserializer());
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }
}
