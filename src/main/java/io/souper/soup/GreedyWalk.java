package io.souper.soup;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The paper's greedy loop over a ranking, as far as the memo answers it: seed with the best, then
 * each next checkpoint joins if the memoised score of soup-plus-it beats the soup's (a failed
 * evaluation beats nothing). Stops at the first set never scored: {@code missingCandidate}.
 */
record GreedyWalk(List<Step> steps, List<String> soupIds, CandidateOutcome soupOutcome,
                  CheckpointScored missingCheckpoint, List<String> missingCandidate) {

    record Step(int rank, CheckpointScored checkpoint, Decision.Kind kind, List<String> candidate,
                CandidateOutcome outcome, Accuracy soupAccuracy) {
    }

    boolean complete() {
        return missingCheckpoint == null;
    }

    static GreedyWalk run(SoupState s, List<CheckpointScored> ranking) {
        List<Step> steps = new ArrayList<>();
        if (ranking.isEmpty()) {
            return new GreedyWalk(steps, List.of(), null, null, null);
        }
        CheckpointScored best = ranking.get(0);
        List<String> soup = new ArrayList<>(List.of(best.checkpointId()));
        BitSet soupSet = new BitSet();
        soupSet.set(s.arrival(best.checkpointId()));
        CandidateOutcome soupOutcome = CandidateOutcome.single(best);
        steps.add(new Step(0, best, Decision.Kind.SEEDED, List.copyOf(soup), soupOutcome, null));
        for (int rank = 1; rank < ranking.size(); rank++) {
            CheckpointScored next = ranking.get(rank);
            List<String> candidate = new ArrayList<>(soup);
            candidate.add(next.checkpointId());
            BitSet candidateSet = (BitSet) soupSet.clone();
            candidateSet.set(s.arrival(next.checkpointId()));
            CandidateOutcome outcome = s.memo.get(candidateSet);
            if (outcome == null) {
                return new GreedyWalk(steps, List.copyOf(soup), soupOutcome, next, List.copyOf(candidate));
            }
            boolean accepted = outcome.succeeded() && s.acceptance.accepts(s.objective, outcome.heldOut(), soupOutcome.heldOut());
            steps.add(new Step(rank, next, accepted ? Decision.Kind.ACCEPTED : Decision.Kind.REJECTED,
                    List.copyOf(candidate), outcome, soupOutcome.heldOut()));
            if (accepted) {
                soup = candidate;
                soupSet = candidateSet;
                soupOutcome = outcome;
            }
        }
        return new GreedyWalk(steps, List.copyOf(soup), soupOutcome, null, null);
    }
}
