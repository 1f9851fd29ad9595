package io.souper.soup;

import java.util.List;
import java.util.Optional;

/**
 * Everything one input produced, in the order to emit it: the decisions (souper.decisions), the
 * new soup versions (souper.updates; online may publish several in one step), and at most one new
 * evaluation request (souper.candidates). {@code ignored} is present when the input changed no
 * decision (it may still have been memoised, see {@link Ignored#STALE_BASE_VERSION}).
 */
public record SoupStep(Optional<CandidateRequest> request, List<Decision> decisions, List<SoupVersion> updates,
                       Optional<Ignored> ignored) {

    public SoupStep {
        decisions = List.copyOf(decisions);
        updates = List.copyOf(updates);
    }

    public boolean isEmpty() {
        return request.isEmpty() && decisions.isEmpty() && updates.isEmpty();
    }
}
