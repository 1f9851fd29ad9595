package io.souper.evaluator;

import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.souper.errors.SouperException;
import io.souper.events.IngredientRef;
import io.souper.events.ReportPart;
import io.souper.events.ReportRequest;
import io.souper.events.SoupDefinition;
import io.souper.events.SplitMetrics;
import io.souper.events.SubjectKind;
import io.souper.kafka.SouperTopics;
import io.souper.registry.InMemorySchemaRegistryClient;
import io.souper.scoring.ScoringRequest;
import io.souper.scoring.SplitScore;
import java.time.Instant;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScoringEventsTest {

    @Test
    void theEventCarriesWhichImagesWereRightNextToTheCounts() throws Exception {
        BitSet right = new BitSet();
        right.set(0);
        right.set(7);
        right.set(8);
        right.set(12);
        SplitMetrics m = ScoringEvents.metrics(new SplitScore("held-out", 4, 13, 4 / 13.0, right));
        assertThat(m.getCorrect()).isEqualTo(4);
        byte[] mask = new byte[m.getCorrectMask().remaining()];
        m.getCorrectMask().duplicate().get(mask);
        assertThat(mask).containsExactly(0b1000_0001, 0b0001_0001);
        // and it survives the wire (Avro binary), as the souper and the report read it
        SplitMetrics back = SplitMetrics.fromByteBuffer(m.toByteBuffer());
        assertThat(BitSet.valueOf(back.getCorrectMask())).isEqualTo(right);
    }

    @Test
    void aMetricWithoutAMaskStillReads() {
        SplitMetrics old = SplitMetrics.newBuilder().setSplit("test").setCorrect(1).setTotal(2).setAccuracy(0.5)
                .build();
        assertThat(old.getCorrectMask()).as("older evaluators send none; the default is null").isNull();
    }

    private static final SoupDefinition SOUP = SoupDefinition.newBuilder().setSoupId("s").setArchitectureUri("file:///a.pt")
            .setHeldOutUri("file:///h").setTestUri("file:///t").setShiftUris(Map.of("noise", "file:///n"))
            .setCreatedAt(Instant.EPOCH).build();

    private static ReportRequest part(ReportPart part, String... ids) {
        return ReportRequest.newBuilder().setRequestId("s~report-1/" + part).setReportId("s~report-1").setSoupId("s")
                .setPart(part).setIngredients(java.util.Arrays.stream(ids).map(id -> IngredientRef.newBuilder()
                        .setCheckpointId(id).setUri("file:///" + id).setSha256(null).build()).toList())
                .setRequestedAt(Instant.EPOCH).build();
    }

    @Test
    void reportPartsAreScoredOnEverySplitAsWhatTheyName() {
        assertThat(ScoringEvents.request(part(ReportPart.CHECKPOINT, "a"), SOUP))
                .extracting(ScoringRequest::what, ScoringRequest::splits)
                .containsExactly(ScoringRequest.What.CHECKPOINT, ScoringRequest.Splits.ALL);
        assertThat(ScoringEvents.request(part(ReportPart.UNIFORM_SOUP, "a", "b"), SOUP).what())
                .isEqualTo(ScoringRequest.What.UNIFORM_AVERAGE);
        assertThat(ScoringEvents.request(part(ReportPart.GREEDY_SOUP, "a"), SOUP).what())
                .as("a soup of one is that checkpoint alone: no average, no artifact")
                .isEqualTo(ScoringRequest.What.CHECKPOINT);
        ScoringRequest ensemble = ScoringEvents.request(part(ReportPart.ENSEMBLE, "a", "b", "c"), SOUP);
        assertThat(ensemble.what()).isEqualTo(ScoringRequest.What.ENSEMBLE);
        assertThat(ensemble.ingredients()).hasSize(3);
        assertThat(ensemble.soup().shiftUris()).containsOnlyKeys("noise");
    }

    @Test
    void aReportPartThatCannotBeActedOnIsTheRecordsFault() {
        assertThatThrownBy(() -> ScoringEvents.request(part(ReportPart.CHECKPOINT, "a", "b"), SOUP))
                .isInstanceOf(SouperException.class).hasMessageContaining("one checkpoint alone but names 2");
        assertThatThrownBy(() -> ScoringEvents.request(part(ReportPart.UNKNOWN, "a"), SOUP))
                .isInstanceOf(SouperException.class).hasMessageContaining("has part UNKNOWN");
        assertThatThrownBy(() -> ScoringEvents.request(part(ReportPart.ENSEMBLE), SOUP))
                .isInstanceOf(SouperException.class).hasMessageContaining("names no ingredients");
        assertThatThrownBy(() -> ScoringEvents.request(part(ReportPart.UNIFORM_SOUP, "a", "a"), SOUP))
                .isInstanceOf(SouperException.class).hasMessageContaining("names checkpoint a twice");
        assertThat(((SouperException) org.assertj.core.api.Assertions.catchThrowable(() -> ScoringEvents.request(
                part(ReportPart.UNKNOWN, "a"), SOUP))).code()).isEqualTo(EvaluatorErrorCode.INVALID_EVENT);
    }

    @Test
    void reportPartsAreAnsweredOnTheirOwnTopicNeverOnTheSoupersEvaluations() {
        SouperTopics topics = new SouperTopics(new InMemorySchemaRegistryClient());
        Subject report = Subject.of(part(ReportPart.ENSEMBLE, "a", "b"));
        assertThat(report.answerTopic(topics)).isEqualTo("souper.report-results");
        assertThat(report.missingIds()).isNull();
        assertThat(report.failed(EvaluationFailure.of(new SouperException(EvaluatorErrorCode.INVALID_EVENT, "x")),
                "cpu", 1)).satisfies(r -> {
                    assertThat(r.getSubjectId()).isEqualTo("s~report-1/ENSEMBLE");
                    assertThat(r.getSubjectKind()).isEqualTo(SubjectKind.ENSEMBLE);
                    assertThat(r.getBaseVersion()).isNull();
                    assertThat(r.getError().getCode()).isEqualTo("INVALID_EVENT");
                });
        assertThat(Subject.of(KafkaFixture.checkpoint("s", "a", "file:///a", null)).answerTopic(topics))
                .isEqualTo("souper.evaluations");
        assertThat(Subject.of(ReportRequest.newBuilder(part(ReportPart.CHECKPOINT, "a")).setReportId("").build())
                .missingIds()).contains("reportId");
    }
}
