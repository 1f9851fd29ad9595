package io.souper.soup;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;

/**
 * The paper's greedy soup, written plainly and independently of the engine: sort by held-out
 * score (best first, stable so ties keep arrival order), start from the best, add each next one
 * only if the average's score beats the soup's ({@code >} or {@code >=}; for a metric where lower
 * is better, {@code <} or {@code <=}); a set that fails to evaluate does not beat anything.
 */
final class ReferenceGreedy {

    record Result(List<String> ingredients, long correct) {
    }

    private ReferenceGreedy() {
    }

    /** @param scored ids in arrival order; all accuracies out of 1000 */
    static Result soup(List<String> scored, SetOracle oracle, boolean orEqual) {
        return soup(scored, oracle, orEqual, true);
    }

    /** @param higherIsBetter false for a loss or perplexity: the best is the lowest */
    static Result soup(List<String> scored, SetOracle oracle, boolean orEqual, boolean higherIsBetter) {
        if (scored.isEmpty()) {
            return new Result(List.of(), -1);
        }
        List<String> ranked = new ArrayList<>(scored);
        Comparator<String> lowestFirst = Comparator.comparingLong((String id) -> oracle.singles().get(id));
        ranked.sort(higherIsBetter ? lowestFirst.reversed() : lowestFirst);
        List<String> soup = new ArrayList<>(List.of(ranked.get(0)));
        long soupCorrect = oracle.singles().get(ranked.get(0));
        for (String next : ranked.subList(1, ranked.size())) {
            List<String> candidate = new ArrayList<>(soup);
            candidate.add(next);
            OptionalLong score = oracle.score(candidate);
            long c = higherIsBetter ? score.orElse(0) : -score.orElse(0);
            long s = higherIsBetter ? soupCorrect : -soupCorrect;
            if (score.isPresent() && (orEqual ? c >= s : c > s)) {
                soup = candidate;
                soupCorrect = score.getAsLong();
            }
        }
        return new Result(List.copyOf(soup), soupCorrect);
    }

    /** Candidate evaluations if every arrival replayed the whole loop from scratch, without a memo. */
    static long naiveEvaluations(int scoredCount) {
        long total = 0;
        for (int n = 1; n <= scoredCount; n++) {
            total += n - 1;
        }
        return total;
    }
}
