package io.souper.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.souper.events.EvaluationResult;
import io.souper.events.IngredientRef;
import io.souper.events.SplitMetrics;
import io.souper.events.SubjectKind;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReportScoresTest {

    private static SplitMetrics metrics(String split, long correct, long total, byte[] mask) {
        return SplitMetrics.newBuilder().setSplit(split).setCorrect(correct).setTotal(total)
                .setAccuracy((double) correct / total).setCorrectMask(mask == null ? null : ByteBuffer.wrap(mask))
                .build();
    }

    private static EvaluationResult result(SplitMetrics heldOut) {
        return EvaluationResult.newBuilder().setSubjectId("run-1").setSoupId("demo-sorted")
                .setSubjectKind(SubjectKind.CHECKPOINT).setBaseVersion(null)
                .setIngredients(List.of(IngredientRef.newBuilder().setCheckpointId("run-1").setUri("file:///x")
                        .setSha256(null).build()))
                .setHeldOut(heldOut).setTest(metrics("test", 1, 8, new byte[] {0b0100_0000}))
                .setShifts(List.of(metrics("noise", 2, 8, null))).setDevice("cpu").setDurationMs(1L)
                .setEvaluatedAt(Instant.EPOCH).build();
    }

    @Test
    void masksFromTheEvaluatorBecomeCorrectnessBySplit() {
        ModelScore score = ReportScores.of(List.of(result(metrics("held-out", 3, 10, new byte[] {0b0000_0101, 0b10}))))
                .checkpoint("run-1").orElseThrow();
        assertThat(score.marks().get(ModelScore.HELD_OUT).images()).isEqualTo(10);
        assertThat(score.marks().get(ModelScore.HELD_OUT).right().stream().boxed().toList()).containsExactly(0, 2, 9);
        assertThat(score.marks().get(ModelScore.TEST).right().stream().boxed().toList()).containsExactly(6);
        assertThat(score.marks()).as("a shift sent without a mask has none").doesNotContainKey(ModelScore.shiftKey("noise"));
    }

    @Test
    void aMaskThatDisagreesWithTheCountIsRefusedByName() {
        assertThatThrownBy(() -> ReportScores.of(List.of(result(metrics("held-out", 3, 10, new byte[] {1})))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("held-out").hasMessageContaining("3 right of 10");
    }
}
