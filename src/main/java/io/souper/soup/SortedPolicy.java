package io.souper.soup;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

/**
 * The paper's greedy soup over every checkpoint scored so far, kept exact as checkpoints arrive.
 *
 * <p>After every input the greedy loop is walked again from the best checkpoint, with every
 * candidate answered from the memo. The walk is pure and cheap; what costs is evaluation, and the
 * memo guarantees a newcomer of rank k asks for nothing at ranks below k (those sets were scored
 * before it came), while a rejected newcomer leaves every later set unchanged so they are served
 * from the memo too. The walk stops at the first set never scored: that set is the next request
 * (unless a request is already in flight; its result, needed or not, is memoised when it comes).
 *
 * <p>Publication rule: a new version is published when the walk is complete (every scored
 * checkpoint has a verdict: a fixed point) and its ingredient set differs from the published one.
 * A complete walk IS the greedy result over all checkpoints scored so far, so a half-done replay
 * is never published. (A complete walk also means nothing is in flight: a newcomer always needs a
 * set containing itself, which cannot be in the memo yet, so the walk stays incomplete until the
 * request in flight has been answered and the newcomer's own set scored.)
 *
 * <p>Audit: a decision is emitted when a checkpoint's verdict (kind and judged set) changes, plus
 * REBUILT when a newcomer ranks above already-scored checkpoints.
 */
final class SortedPolicy {

    private SortedPolicy() {
    }

    static void onCheckpoint(StepContext ctx, CheckpointScored newcomer) {
        SoupState s = ctx.state;
        List<CheckpointScored> ranking = s.ranking();
        int rank = ranking.indexOf(newcomer);
        int below = ranking.size() - 1 - rank;
        List<StepContext.Draft> drafts = new ArrayList<>();
        if (below > 0) {
            drafts.add(new StepContext.Draft(Decision.Kind.REBUILT, newcomer.checkpointId(), List.of(),
                    newcomer.heldOut(), s.published.heldOut(), null,
                    "held-out " + s.objective.describe(newcomer.heldOut()) + " ranks " + (rank + 1) + " of " + ranking.size()
                            + ", above " + below + " scored checkpoint(s): greedy loop replayed from rank " + (rank + 1)));
        }
        replay(ctx, ranking, drafts);
    }

    static void onCandidate(StepContext ctx) {
        replay(ctx, ctx.state.ranking(), new ArrayList<>());
    }

    private static void replay(StepContext ctx, List<CheckpointScored> ranking, List<StepContext.Draft> drafts) {
        SoupState s = ctx.state;
        GreedyWalk walk = GreedyWalk.run(s, ranking);
        for (GreedyWalk.Step step : walk.steps()) {
            Verdict verdict = new Verdict(step.kind(), s.arrivalSet(step.candidate()).stream().boxed().toList());
            if (!verdict.equals(s.verdicts.get(step.checkpoint().checkpointId()))) {
                s.verdicts.put(step.checkpoint().checkpointId(), verdict);
                drafts.add(draft(ctx, step, ranking.size()));
            }
        }
        int decided = walk.steps().size();
        int accepted = walk.soupIds().size();
        s.tally = new Tally(ranking.size(), accepted, decided - accepted, ranking.size() - decided, s.failed.size());

        boolean publish = walk.complete() && !ranking.isEmpty()
                && !new HashSet<>(walk.soupIds()).equals(new HashSet<>(s.published.ingredientIds()));
        if (publish) {
            ctx.advanceVersion(walk.soupIds(), walk.soupOutcome());
        }
        drafts.forEach(ctx::decide);
        if (publish) {
            ctx.emitUpdate();
        }
        if (!walk.complete() && s.inFlight == null) {
            ctx.request(walk.missingCandidate(), walk.missingCheckpoint().checkpointId());
        }
    }

    private static StepContext.Draft draft(StepContext ctx, GreedyWalk.Step step, int n) {
        String id = step.checkpoint().checkpointId();
        String where = "rank " + (step.rank() + 1) + " of " + n;
        if (step.kind() == Decision.Kind.SEEDED) {
            return new StepContext.Draft(Decision.Kind.SEEDED, id, step.candidate(), step.checkpoint().heldOut(),
                    null, null, where + ": best held-out " + (ctx.state.objective == Objective.ACCURACY ? "accuracy " : "")
                            + ctx.state.objective.describe(step.checkpoint().heldOut()) + " seeds the soup");
        }
        CandidateOutcome o = step.outcome();
        String source = o.requestId().equals(ctx.answeredRequestId)
                ? "scored by " + o.requestId() : "served from memo (scored by " + o.requestId() + ")";
        String verdict;
        if (!o.succeeded()) {
            verdict = "candidate evaluation failed: " + o.errorCode() + ": " + o.errorMessage();
        } else {
            Objective objective = ctx.state.objective;
            verdict = "candidate " + objective.describe(o.heldOut())
                    + (step.kind() == Decision.Kind.ACCEPTED ? " " : " not ")
                    + ctx.state.acceptance.symbol(objective) + " soup " + objective.describe(step.soupAccuracy());
        }
        return new StepContext.Draft(step.kind(), id, step.candidate(), o.heldOut(), step.soupAccuracy(),
                o.requestId(), where + ": " + verdict + "; " + source);
    }
}
