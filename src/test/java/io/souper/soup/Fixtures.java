package io.souper.soup;

import java.util.Map;
import java.util.Set;

/** Small builders shared by the soup tests; every accuracy is out of 1000. */
final class Fixtures {

    static final long NOW = 1_700_000_000_000L;

    private Fixtures() {
    }

    static Accuracy acc(long correct) {
        return new Accuracy(correct, 1000);
    }

    /**
     * A held-out score whose value by {@code objective} is {@code v}: for accuracy v/1000 as counts;
     * for the others a metric v/1000 beside top-1 counts that say nothing (always 500/1000), so a
     * soup that looked at the counts instead of its metric would be caught.
     */
    static Accuracy score(long v, Objective objective) {
        return objective == Objective.ACCURACY ? acc(v)
                : new Accuracy(500, 1000, Map.of(objective.key(), v / 1000.0, "noise", 1.0));
    }

    /** The v of {@link #score}. */
    static long value(Accuracy score, Objective objective) {
        return objective == Objective.ACCURACY ? score.correct()
                : Math.round(score.metrics().get(objective.key()) * 1000);
    }

    static CheckpointScored ck(String id, long v, Objective objective) {
        return new CheckpointScored(id, "file:///store/" + id + ".safetensors", "sha-" + id, "run-" + id,
                Map.of("lr", "0.01", "seed", id), score(v, objective), null);
    }

    static CheckpointScored ck(String id, long correct) {
        return new CheckpointScored(id, "file:///store/" + id + ".safetensors", "sha-" + id, "run-" + id,
                Map.of("lr", "0.01", "seed", id), acc(correct), null);
    }

    static CandidateScored answer(CandidateRequest request, long correct) {
        return new CandidateScored(request.requestId(), request.baseVersion(), Set.copyOf(request.ingredientIds()),
                acc(correct));
    }

    static CandidateFailed failure(CandidateRequest request) {
        return new CandidateFailed(request.requestId(), request.baseVersion(), Set.copyOf(request.ingredientIds()),
                "SHAPE_MISMATCH", "conv1.weight differs");
    }
}
