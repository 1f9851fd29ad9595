package io.souper.soup;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Collects what one step produces, and performs the state changes every policy shares. */
final class StepContext {

    /** A decision not yet numbered or stamped with a version. */
    record Draft(Decision.Kind kind, String checkpointId, List<String> candidate, Accuracy candidateAccuracy,
                 Accuracy soupAccuracy, String requestId, String reason) {
    }

    final SoupState state;
    final long now;
    /** The request whose result this step handles, if any: to tell fresh results from memo hits. */
    final String answeredRequestId;

    private CandidateRequest request;
    private final List<Decision> decisions = new ArrayList<>();
    private final List<SoupVersion> updates = new ArrayList<>();
    private Ignored ignored;

    StepContext(SoupState state, long now, String answeredRequestId) {
        this.state = state;
        this.now = now;
        this.answeredRequestId = answeredRequestId;
    }

    void ignore(Ignored reason) {
        state.countIgnored(reason);
        ignored = reason;
    }

    Decision decide(Draft d) {
        SoupState s = state;
        Decision decision = new Decision(s.soupId, ++s.decisionSequence, s.version, d.kind(), d.checkpointId(),
                d.candidate(), d.candidateAccuracy(), d.soupAccuracy(), s.policy, s.acceptance, d.requestId(),
                d.reason(), now);
        s.lastDecision = decision;
        decisions.add(decision);
        return decision;
    }

    /** Makes {@code ingredientIds} the published soup under a new version; {@link #emitUpdate} announces it. */
    void advanceVersion(List<String> ingredientIds, CandidateOutcome outcome) {
        state.version++;
        state.published = new PublishedSoup(ingredientIds, outcome);
    }

    /** Announces the published soup, with the tally and last decision as they stand now. */
    void emitUpdate() {
        SoupState s = state;
        CandidateOutcome o = s.published.outcome();
        List<ScoredIngredient> ingredients = s.published.ingredientIds().stream()
                .map(id -> ScoredIngredient.of(s.checkpoint(id))).toList();
        updates.add(new SoupVersion(s.soupId, s.version, s.policy, ingredients, o.heldOut(), o.test(),
                o.artifactUri(), o.artifactSha256(), s.tally, s.lastDecision, now));
    }

    /** Issues the one request of this soup: the soup's ingredients followed by the tried one. */
    void request(List<String> candidateIds, String triedCheckpointId) {
        request(candidateIds, triedCheckpointId, 0);
    }

    /** Asks again for the set of {@code failed}, whose answer was a retriable failure. */
    void retry(InFlight failed) {
        state.inFlight = null;
        CandidateRequest r = failed.request();
        request(r.ingredientIds(), r.triedCheckpointId(), failed.retriableFailures() + 1);
    }

    private void request(List<String> candidateIds, String triedCheckpointId, int retriableFailures) {
        SoupState s = state;
        if (s.inFlight != null) {
            throw new IllegalStateException("soup " + s.soupId + " already has request "
                    + s.inFlight.request().requestId() + " in flight");
        }
        String requestId = s.soupId + "#" + (++s.requestsIssued);
        List<Ingredient> ingredients = candidateIds.stream().map(id -> s.checkpoint(id).ingredient()).toList();
        request = new CandidateRequest(requestId, s.soupId, s.version, ingredients, triedCheckpointId, now);
        s.inFlight = new InFlight(request, false, retriableFailures);
    }

    SoupStep result() {
        return new SoupStep(Optional.ofNullable(request), decisions, updates, Optional.ofNullable(ignored));
    }
}
