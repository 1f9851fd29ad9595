package io.souper.soup;

import java.util.ArrayList;
import java.util.List;

/**
 * Each checkpoint is tried once, in arrival order, against the current soup: one candidate
 * evaluation per checkpoint (fewer on memo hits), plus one per retry after a replacement.
 *
 * <p>Guard, applied when a checkpoint arrives: if it alone beats the soup by the accept rule, it
 * replaces the soup at once (a new version); the dropped ingredients, and the checkpoint whose
 * trial was in flight (its answer would be judged against a soup that no longer exists), are
 * queued again as retries: candidates added one at a time to the new soup. Retries are not
 * guarded: each was at most the old soup's accuracy, hence at most the new one's, and leaving them
 * unguarded is what keeps {@code >=} from swapping equal checkpoints forever.
 *
 * <p>Hence the soup's held-out accuracy never falls (every change is accepted by the rule) and,
 * after every step, is at least every scored checkpoint's own (the guard saw each of them).
 */
final class OnlinePolicy {

    private OnlinePolicy() {
    }

    static void onCheckpoint(StepContext ctx, CheckpointScored c) {
        SoupState s = ctx.state;
        if (s.published.empty()) {
            ctx.advanceVersion(List.of(c.checkpointId()), CandidateOutcome.single(c));
            s.tally = tally(s);
            ctx.decide(new StepContext.Draft(Decision.Kind.SEEDED, c.checkpointId(), List.of(c.checkpointId()),
                    c.heldOut(), null, null, "first scored checkpoint seeds the soup"));
            ctx.emitUpdate();
        } else if (s.acceptance.accepts(s.objective, c.heldOut(), s.published.heldOut())) {
            replace(ctx, c);
        } else {
            s.queue.addLast(new QueuedCheckpoint(c.checkpointId(), false));
        }
        advance(ctx);
    }

    static void onCandidate(StepContext ctx, InFlight answered, CandidateOutcome outcome) {
        if (answered.superseded()) {
            ctx.ignore(Ignored.STALE_BASE_VERSION); // memoised by the caller; its checkpoint was requeued
        } else {
            CandidateRequest r = answered.request();
            judge(ctx, ctx.state.checkpoint(r.triedCheckpointId()), r.ingredientIds(), outcome, false);
        }
        advance(ctx);
    }

    private static void replace(StepContext ctx, CheckpointScored c) {
        SoupState s = ctx.state;
        Accuracy before = s.published.heldOut();
        List<String> dropped = s.published.ingredientIds();
        List<String> requeued = new ArrayList<>();
        if (s.inFlight != null && !s.inFlight.superseded()) {
            s.inFlight = s.inFlight.supersede();
            String tried = s.inFlight.request().triedCheckpointId();
            s.queue.addFirst(new QueuedCheckpoint(tried, true)); // it arrived before everything still queued
            requeued.add(tried);
        }
        dropped.forEach(id -> s.queue.addLast(new QueuedCheckpoint(id, true)));
        requeued.addAll(dropped);
        s.retriesQueued += requeued.size();
        ctx.advanceVersion(List.of(c.checkpointId()), CandidateOutcome.single(c));
        s.tally = tally(s);
        ctx.decide(new StepContext.Draft(Decision.Kind.REPLACED, c.checkpointId(), List.of(c.checkpointId()),
                c.heldOut(), before, null, "alone " + s.objective.describe(c.heldOut()) + " "
                        + s.acceptance.symbol(s.objective) + " soup " + s.objective.describe(before)
                        + " of " + dropped.size() + " ingredient(s); queued again: " + requeued));
        ctx.emitUpdate();
    }

    /** Tries queued checkpoints until one needs an evaluation (or the queue is empty). */
    private static void advance(StepContext ctx) {
        SoupState s = ctx.state;
        while (s.inFlight == null && !s.queue.isEmpty()) {
            QueuedCheckpoint next = s.queue.pollFirst();
            List<String> candidate = new ArrayList<>(s.published.ingredientIds());
            candidate.add(next.checkpointId());
            CandidateOutcome memoised = s.memo.get(s.arrivalSet(candidate));
            if (memoised == null) {
                ctx.request(candidate, next.checkpointId());
            } else {
                judge(ctx, s.checkpoint(next.checkpointId()), candidate, memoised, true);
            }
        }
        s.tally = tally(s);
    }

    private static void judge(StepContext ctx, CheckpointScored c, List<String> candidate, CandidateOutcome o,
                              boolean fromMemo) {
        SoupState s = ctx.state;
        Accuracy soup = s.published.heldOut();
        boolean accepted = o.succeeded() && s.acceptance.accepts(s.objective, o.heldOut(), soup);
        String verdict = o.succeeded()
                ? "candidate " + s.objective.describe(o.heldOut()) + (accepted ? " " : " not ")
                        + s.acceptance.symbol(s.objective) + " soup " + s.objective.describe(soup)
                : "candidate evaluation failed: " + o.errorCode() + ": " + o.errorMessage();
        String source = fromMemo ? "served from memo (scored by " + o.requestId() + ")" : "scored by " + o.requestId();
        if (accepted) {
            ctx.advanceVersion(candidate, o);
        }
        s.tally = tally(s);
        ctx.decide(new StepContext.Draft(accepted ? Decision.Kind.ACCEPTED : Decision.Kind.REJECTED,
                c.checkpointId(), candidate, o.heldOut(), soup, o.requestId(), verdict + "; " + source));
        if (accepted) {
            ctx.emitUpdate();
        }
    }

    static Tally tally(SoupState s) {
        int scored = s.checkpoints.size();
        int accepted = s.published.ingredientIds().size();
        int pending = s.queue.size() + (s.inFlight != null && !s.inFlight.superseded() ? 1 : 0);
        return new Tally(scored, accepted, scored - accepted - pending, pending, s.failed.size());
    }
}
