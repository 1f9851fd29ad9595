package io.souper.demo;

import io.souper.events.EvaluationResult;
import io.souper.events.IngredientRef;
import io.souper.events.SplitMetrics;
import io.souper.events.SubjectKind;
import io.souper.report.Correctness;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Every score the evaluator published for the demo, as read back from souper.evaluations:
 * per checkpoint, per ingredient set (weight averages), and per ensemble. Only results with
 * held-out, test and shift scores count as complete; the souper's own candidate requests
 * may be scored on held-out alone.
 */
final class DemoScores {

    private final Map<String, ModelScore> checkpoints = new LinkedHashMap<>();
    private final Map<Set<String>, ModelScore> averages = new HashMap<>();
    private final Map<Set<String>, ModelScore> ensembles = new HashMap<>();

    static DemoScores of(List<EvaluationResult> results) {
        DemoScores scores = new DemoScores();
        results.forEach(scores::add);
        return scores;
    }

    void add(EvaluationResult r) {
        if (r.getError() != null || r.getHeldOut() == null || r.getTest() == null || r.getShifts().isEmpty()) {
            return;
        }
        Set<String> set = ids(r.getIngredients());
        if (r.getSubjectKind() == SubjectKind.CHECKPOINT) {
            checkpoints.putIfAbsent(r.getSubjectId(), score(r.getSubjectId(), r));
        } else if (r.getSubjectKind() == SubjectKind.CANDIDATE) {
            averages.putIfAbsent(set, score(r.getSubjectId(), r));
        } else if (r.getSubjectKind() == SubjectKind.ENSEMBLE) {
            ensembles.putIfAbsent(set, score(r.getSubjectId(), r));
        }
    }

    Optional<ModelScore> checkpoint(String id) {
        return Optional.ofNullable(checkpoints.get(id));
    }

    /** The weight average of {@code ingredients}; a single ingredient is the checkpoint itself. */
    Optional<ModelScore> average(List<String> ingredients) {
        if (ingredients.size() == 1) {
            return checkpoint(ingredients.get(0));
        }
        return Optional.ofNullable(averages.get(new TreeSet<>(ingredients)));
    }

    Optional<ModelScore> ensemble(List<String> ingredients) {
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
