package io.souper.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.souper.events.EvaluationResult;
import io.souper.events.IngredientRef;
import io.souper.events.ReportPart;
import io.souper.events.ReportRequest;
import io.souper.events.SoupPolicy;
import io.souper.events.SplitMetrics;
import io.souper.events.SubjectKind;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ReportPlanTest {

    private static IngredientRef ref(String id) {
        return IngredientRef.newBuilder().setCheckpointId(id).setUri("file:///runs/" + id).setSha256("sha-" + id).build();
    }

    private static ReportPlan plan(List<String> all, List<String> greedy) {
        return new ReportPlan("s", all.stream().map(ReportPlanTest::ref).toList(),
                new ReportPlan.GreedySoup("s", SoupPolicy.SORTED, greedy.stream().map(ReportPlanTest::ref).toList()),
                Optional.empty());
    }

    @Test
    void everyCheckpointAloneThenTheUniformSoupTheGreedySoupAndTheEnsemble() {
        List<ReportRequest> parts = plan(List.of("a", "b", "c"), List.of("b", "a")).requests(Instant.EPOCH);
        assertThat(parts).extracting(ReportRequest::getPart).containsExactly(ReportPart.CHECKPOINT,
                ReportPart.CHECKPOINT, ReportPart.CHECKPOINT, ReportPart.UNIFORM_SOUP, ReportPart.GREEDY_SOUP,
                ReportPart.ENSEMBLE);
        assertThat(parts.get(4).getIngredients()).extracting(IngredientRef::getCheckpointId).containsExactly("b", "a");
        assertThat(parts.get(5).getIngredients()).extracting(IngredientRef::getCheckpointId)
                .containsExactly("a", "b", "c");
        assertThat(parts).extracting(ReportRequest::getRequestId).doesNotHaveDuplicates()
                .allSatisfy(id -> assertThat(id).startsWith("s~report-"));
        assertThat(parts).extracting(ReportRequest::getSoupId).containsOnly("s");
    }

    @Test
    void aSetOfWeightsIsAveragedOnceWhateverSoupsItIs() {
        ReportPlan plan = new ReportPlan("s", List.of(ref("a"), ref("b")),
                new ReportPlan.GreedySoup("s", SoupPolicy.SORTED, List.of(ref("b"), ref("a"))),
                Optional.of(new ReportPlan.GreedySoup("t", SoupPolicy.ONLINE, List.of(ref("a"), ref("b")))));
        assertThat(plan.requests(Instant.EPOCH)).extracting(ReportRequest::getPart).containsExactly(
                ReportPart.CHECKPOINT, ReportPart.CHECKPOINT, ReportPart.UNIFORM_SOUP, ReportPart.ENSEMBLE);
        List<ReportRequest> parts = plan.requests(Instant.EPOCH);
        List<EvaluationResult> answers = List.of(answer(parts.get(0), 0), answer(parts.get(1), 0, 1),
                answer(parts.get(2), 0, 1, 2), answer(parts.get(3), 3));
        SoupReport report = plan.report(ReportScores.of(answers), "t", List.of());
        assertThat(report.greedy().score().heldout()).isEqualTo(report.uniform().score().heldout()).isEqualTo(37.5);
        assertThat(report.otherGreedy().orElseThrow().method()).isEqualTo(SoupScore.Method.GREEDY_ONLINE);
    }

    @Test
    void theSameReportHasTheSameIdsAndAChangedSoupNewOnes() {
        ReportPlan plan = plan(List.of("a", "b"), List.of("a"));
        assertThat(plan(List.of("a", "b"), List.of("a")).reportId()).isEqualTo(plan.reportId());
        assertThat(plan(List.of("a", "b"), List.of("a", "b")).reportId()).isNotEqualTo(plan.reportId());
        assertThat(plan(List.of("a", "b", "c"), List.of("a")).reportId()).isNotEqualTo(plan.reportId());
        ReportPlan moved = new ReportPlan("s", List.of(ref("a"), IngredientRef.newBuilder(ref("b"))
                .setUri("file:///elsewhere/b").build()), plan.greedy(), Optional.empty());
        assertThat(moved.reportId()).as("same ids, other weights").isNotEqualTo(plan.reportId());
    }

    @Test
    void aGreedySoupOfCheckpointsTheReportDoesNotHaveIsRefused() {
        assertThatThrownBy(() -> plan(List.of("a"), List.of("z"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("holds checkpoint z");
        assertThatThrownBy(() -> plan(List.of(), List.of("a"))).hasMessageContaining("no scored checkpoint");
    }

    /** A result as the evaluator answers a part: per-image marks of {@code right} over 8 images per split. */
    private static EvaluationResult answer(ReportRequest part, int... right) {
        BitSet bits = new BitSet();
        for (int i : right) {
            bits.set(i);
        }
        SubjectKind kind = part.getPart() == ReportPart.CHECKPOINT ? SubjectKind.CHECKPOINT
                : part.getPart() == ReportPart.ENSEMBLE ? SubjectKind.ENSEMBLE : SubjectKind.CANDIDATE;
        return EvaluationResult.newBuilder().setSubjectId(part.getRequestId()).setSoupId("s").setSubjectKind(kind)
                .setBaseVersion(null).setIngredients(part.getIngredients())
                .setHeldOut(split("held-out", bits)).setTest(split("test", bits))
                .setShifts(List.of(split("noise", bits))).setDevice("cpu").setDurationMs(1L)
                .setEvaluatedAt(Instant.EPOCH).build();
    }

    private static SplitMetrics split(String name, BitSet right) {
        return SplitMetrics.newBuilder().setSplit(name).setCorrect(right.cardinality()).setTotal(8)
                .setAccuracy(right.cardinality() / 8.0).setCorrectMask(ByteBuffer.wrap(right.toByteArray())).build();
    }

    @Test
    void theReportIsBuiltFromTheAnswersToItsParts() {
        ReportPlan plan = plan(List.of("a", "b"), List.of("b"));
        List<ReportRequest> parts = plan.requests(Instant.EPOCH);
        List<EvaluationResult> answers = new ArrayList<>();
        answers.add(answer(parts.get(0), 0, 1));          // a: 2 of 8
        answers.add(answer(parts.get(1), 0, 1, 2, 3));    // b: 4 of 8, the best single
        answers.add(answer(parts.get(2), 0, 1, 2));       // uniform soup: 3 of 8
        answers.add(answer(parts.get(3), 0, 1, 2, 3));    // greedy soup of b alone
        answers.add(answer(parts.get(4), 0, 1, 2, 3, 4)); // ensemble: 5 of 8
        SoupReport report = plan.report(ReportScores.of(answers), "t", List.of());

        assertThat(report.models()).extracting(ModelScore::id).containsExactly("a", "b");
        assertThat(report.bestSingle().id()).isEqualTo("b");
        assertThat(report.uniform().score().heldout()).isEqualTo(37.5);
        assertThat(report.greedy().method()).isEqualTo(SoupScore.Method.GREEDY_SORTED);
        assertThat(report.greedy().score().heldout()).isEqualTo(50.0);
        assertThat(report.ensemble().forwardPasses()).isEqualTo(2);
        PairedComparison ensembleVsBest = report.versusBestSingle(report.ensemble()).get(ModelScore.TEST);
        assertThat(ensembleVsBest.onlyA()).isZero();
        assertThat(ensembleVsBest.onlyB()).isEqualTo(1);
        assertThat(report.versusBestSingle(report.uniform()).keySet()).containsExactly("held-out", "test", "noise");
    }

    @Test
    void aMissingAnswerIsNamed() {
        ReportPlan plan = plan(List.of("a", "b"), List.of("b"));
        List<ReportRequest> parts = plan.requests(Instant.EPOCH);
        assertThatThrownBy(() -> plan.report(ReportScores.of(List.of(answer(parts.get(0), 1), answer(parts.get(1), 1))),
                "t", List.of())).hasMessageContaining("uniform soup");
    }
}
