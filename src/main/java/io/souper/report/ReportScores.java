package io.souper.report;

import io.souper.events.EvaluationResult;
import io.souper.events.IngredientRef;
import io.souper.events.SplitMetrics;
import io.souper.events.SubjectKind;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The evaluator's answers for a report, indexed the way a report looks them up: per checkpoint,
 * per ingredient set (weight averages), and per ensemble. Only results with held-out, test and
 * shift scores count as complete (the souper's own candidate requests are scored on held-out
 * alone). A checkpoint's score is found by the checkpoint's id, whether the answer came for a
 * CheckpointReady (subject id = checkpoint id) or for a report part (subject id = the part's
 * request id, its one ingredient the checkpoint).
 */
public final class ReportScores {

    private final Map<String, ModelScore> checkpoints = new LinkedHashMap<>();
    private final Map<Set<String>, ModelScore> averages = new HashMap<>();
    private final Map<Set<String>, ModelScore> ensembles = new HashMap<>();

    public static ReportScores of(List<EvaluationResult> results) {
        ReportScores scores = new ReportScores();
        results.forEach(scores::add);
        return scores;
    }

    public void add(EvaluationResult r) {
        if (r.getError() != null || r.getHeldOut() == null || r.getTest() == null || r.getShifts().isEmpty()) {
            return;
        }
        Set<String> set = ids(r.getIngredients());
        if (r.getSubjectKind() == SubjectKind.CHECKPOINT) {
            String id = set.size() == 1 ? set.iterator().next() : r.getSubjectId();
            checkpoints.putIfAbsent(id, score(id, r));
        } else if (r.getSubjectKind() == SubjectKind.CANDIDATE) {
            averages.putIfAbsent(set, score(r.getSubjectId(), r));
        } else if (r.getSubjectKind() == SubjectKind.ENSEMBLE) {
            ensembles.putIfAbsent(set, score(r.getSubjectId(), r));
        }
    }

    public Optional<ModelScore> checkpoint(String id) {
        return Optional.ofNullable(checkpoints.get(id));
    }

    /** The weight average of {@code ingredients}; a single ingredient is the checkpoint itself. */
    public Optional<ModelScore> average(List<String> ingredients) {
        if (ingredients.size() == 1) {
            return checkpoint(ingredients.get(0));
        }
        return Optional.ofNullable(averages.get(new TreeSet<>(ingredients)));
    }

    public Optional<ModelScore> ensemble(List<String> ingredients) {
        return Optional.ofNullable(ensembles.get(new TreeSet<>(ingredients)));
    }

    static Set<String> ids(List<IngredientRef> refs) {
        Set<String> ids = new TreeSet<>();
        refs.forEach(r -> ids.add(r.getCheckpointId()));
        return ids;
    }

    private static ModelScore score(String id, EvaluationResult r) {
        Map<String, Double> shifts = new LinkedHashMap<>();
        Map<String, Correctness> marks = new LinkedHashMap<>();
        mark(marks, ModelScore.HELD_OUT, r.getHeldOut());
        mark(marks, ModelScore.TEST, r.getTest());
        for (SplitMetrics m : r.getShifts()) {
            shifts.put(m.getSplit(), 100 * m.getAccuracy());
            mark(marks, ModelScore.shiftKey(m.getSplit()), m);
        }
        return new ModelScore(id, 100 * r.getHeldOut().getAccuracy(), 100 * r.getTest().getAccuracy(), shifts,
                marks);
    }

    /** The split's per-image marks, when the evaluator sent them (an older one does not). */
    private static void mark(Map<String, Correctness> marks, String key, SplitMetrics m) {
        if (m.getCorrectMask() != null) {
            marks.put(key, Correctness.fromMask(m.getSplit(), m.getCorrectMask(), m.getTotal(), m.getCorrect()));
        }
    }
}
