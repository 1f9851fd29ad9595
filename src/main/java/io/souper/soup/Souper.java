package io.souper.soup;

import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The soup state machine: one input in, the state advanced, the outputs returned. Deterministic:
 * the same state and the same inputs (with the same {@code nowMillis}) give the same outputs, so a
 * replay after a crash reproduces what was emitted. Never reads a clock.
 *
 * <p>An input that is not merely late but impossible (a result naming the request in flight with
 * different ingredients or a newer base version) is refused with an {@link InvalidSoupInputException}
 * before anything changes, for the caller to dead-letter. A null state or input is the caller's bug
 * and fails with a {@link NullPointerException}.
 */
public final class Souper {

    /**
     * How many times in a row one candidate set is requested while its evaluations fail retriably;
     * the failure of the last attempt is final. Part of the soup's deterministic behaviour: a
     * replay must use the same value, so it is not a setting.
     */
    public static final int RETRIABLE_CANDIDATE_ATTEMPTS = 3;

    private Souper() {
    }

    public static SoupStep step(SoupState state, SoupInput input, long nowMillis) {
        Objects.requireNonNull(state, "soup state");
        Objects.requireNonNull(input, "soup input");
        if (input instanceof CheckpointScored c) {
            requireObjective(state, c.heldOut(), "checkpoint " + c.checkpointId());
            return onCheckpointScored(state, c, nowMillis);
        }
        if (input instanceof CheckpointFailed f) {
            return onCheckpointFailed(state, f, nowMillis);
        }
        if (input instanceof CandidateScored r) {
            requireObjective(state, r.heldOut(), "candidate " + r.requestId());
            return onCandidate(state, r.requestId(), r.baseVersion(), r.ingredientIds(), CandidateOutcome.scored(r),
                    false, nowMillis);
        }
        CandidateFailed f = (CandidateFailed) input;
        return onCandidate(state, f.requestId(), f.baseVersion(), f.ingredientIds(), CandidateOutcome.failed(f),
                f.retriable(), nowMillis);
    }

    private static SoupStep onCheckpointScored(SoupState s, CheckpointScored c, long now) {
        StepContext ctx = new StepContext(s, now, null);
        if (s.scored(c.checkpointId())) {
            ctx.ignore(Ignored.DUPLICATE_CHECKPOINT);
            return ctx.result();
        }
        s.failed.remove(c.checkpointId()); // published again and scored this time
        s.addCheckpoint(c);
        if (s.policy == Policy.SORTED) {
            SortedPolicy.onCheckpoint(ctx, c);
        } else {
            OnlinePolicy.onCheckpoint(ctx, c);
        }
        return ctx.result();
    }

    private static SoupStep onCheckpointFailed(SoupState s, CheckpointFailed f, long now) {
        StepContext ctx = new StepContext(s, now, null);
        // the same failure again (a redelivery, or a retry that failed alike) changes nothing
        if (s.scored(f.checkpointId()) || f.equals(s.failed.get(f.checkpointId()))) {
            ctx.ignore(Ignored.DUPLICATE_CHECKPOINT);
            return ctx.result();
        }
        s.failed.put(f.checkpointId(), f);
        s.tally = s.tally.withFailed(s.failed.size());
        String retry = f.retriable() ? "retriable: publish the checkpoint again to retry"
                : "publish the corrected checkpoint under the same id to retry";
        ctx.decide(new StepContext.Draft(Decision.Kind.FAILED, f.checkpointId(), List.of(), null,
                s.published.heldOut(), null, "checkpoint evaluation failed: " + f.errorCode() + ": " + f.message()
                        + " (" + retry + ")"));
        return ctx.result();
    }

    private static SoupStep onCandidate(SoupState s, String requestId, long baseVersion, Set<String> ingredientIds,
                                        CandidateOutcome outcome, boolean retriable, long now) {
        StepContext ctx = new StepContext(s, now, requestId);
        if (!issuedHere(s, requestId)) {
            ctx.ignore(Ignored.UNKNOWN_REQUEST);
            return ctx.result();
        }
        InFlight inFlight = s.inFlight;
        if (inFlight == null || !inFlight.request().requestId().equals(requestId)) {
            ctx.ignore(Ignored.NOT_IN_FLIGHT);
            return ctx.result();
        }
        CandidateRequest request = inFlight.request();
        if (baseVersion < request.baseVersion()) {
            ctx.ignore(Ignored.STALE_BASE_VERSION);
            return ctx.result();
        }
        if (baseVersion > request.baseVersion()) {
            throw new InvalidSoupInputException("result for " + requestId + " claims base version " + baseVersion
                    + " but the request was made against version " + request.baseVersion());
        }
        if (!ingredientIds.equals(Set.copyOf(request.ingredientIds()))) {
            throw new InvalidSoupInputException("result for " + requestId + " scored " + ingredientIds
                    + " but the request was for " + request.ingredientIds());
        }
        if (retriable) {
            if (inFlight.superseded()) {
                // (online) decides nothing and is not memoised: its checkpoint was queued again anyway
                s.inFlight = null;
                OnlinePolicy.onCandidate(ctx, inFlight, outcome);
                return ctx.result();
            }
            int failures = inFlight.retriableFailures() + 1;
            if (failures < RETRIABLE_CANDIDATE_ATTEMPTS) {
                ctx.retry(inFlight);
                return ctx.result();
            }
            outcome = outcome.givenUp(failures);
        }
        BitSet set = s.arrivalSet(request.ingredientIds());
        s.memo.put(set, outcome);
        s.inFlight = null;
        if (s.policy == Policy.SORTED) {
            SortedPolicy.onCandidate(ctx);
        } else {
            OnlinePolicy.onCandidate(ctx, inFlight, outcome);
        }
        return ctx.result();
    }

    /**
     * A held-out score without the metric the soup decides on cannot be ranked: refused (the
     * result's fault; the adapter dead-letters it) before anything changes.
     */
    private static void requireObjective(SoupState s, Accuracy heldOut, String what) {
        if (!s.objective.isIn(heldOut)) {
            throw new InvalidSoupInputException("held-out score of " + what + " has no '" + s.objective.key()
                    + "' metric, which soup " + s.soupId + " decides on (it reported " + heldOut.metrics().keySet()
                    + ")");
        }
    }

    /** Request ids are soupId#n with n = 1..requestsIssued; anything else was never issued by this soup. */
    private static boolean issuedHere(SoupState s, String requestId) {
        String prefix = s.soupId + "#";
        if (!requestId.startsWith(prefix)) {
            return false;
        }
        String digits = requestId.substring(prefix.length());
        if (digits.isEmpty() || digits.length() > 18 || !digits.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
            return false;
        }
        long n = Long.parseLong(digits);
        return n >= 1 && n <= s.requestsIssued;
    }
}
