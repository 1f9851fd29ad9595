package io.souper.soup;

import java.util.List;

/**
 * (sorted) The greedy loop's last announced verdict on a checkpoint: a decision is emitted only
 * when the verdict changes, so a replay served from the memo repeats nothing in the audit log.
 *
 * @param candidateArrivals the judged set, as sorted arrival numbers
 */
record Verdict(Decision.Kind kind, List<Integer> candidateArrivals) {

    Verdict {
        candidateArrivals = List.copyOf(candidateArrivals);
    }
}
