package io.souper.soup;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SplittableRandom;

/**
 * A deterministic stand-in for the evaluator: the held-out score (v out of 1000, as counts or as
 * the soup's metric, see {@link Fixtures#score}) of an ingredient set depends only on the set. Mostly a value from a small set (many ties with the
 * soup), sometimes the members' mean, sometimes a failed evaluation.
 */
record SetOracle(long seed, Map<String, Long> singles, Objective objective) {

    private static final long[] VALUES = {790, 800, 800, 810, 820, 830};

    /** Empty when the evaluation of this set fails. */
    OptionalLong score(Collection<String> ingredients) {
        List<String> sorted = new ArrayList<>(ingredients);
        Collections.sort(sorted);
        SplittableRandom random = new SplittableRandom(seed ^ (31L * sorted.hashCode()));
        int kind = random.nextInt(10);
        if (kind == 0) {
            return OptionalLong.empty();
        }
        if (kind <= 3) {
            return OptionalLong.of(sorted.stream().mapToLong(singles::get).sum() / sorted.size());
        }
        return OptionalLong.of(VALUES[random.nextInt(VALUES.length)]);
    }

    SoupInput answer(CandidateRequest r) {
        OptionalLong score = score(r.ingredientIds());
        return score.isPresent()
                ? new CandidateScored(r.requestId(), r.baseVersion(), java.util.Set.copyOf(r.ingredientIds()),
                        Fixtures.score(score.getAsLong(), objective))
                : new CandidateFailed(r.requestId(), r.baseVersion(), java.util.Set.copyOf(r.ingredientIds()),
                        "NON_FINITE_WEIGHTS", "oracle says no");
    }
}
