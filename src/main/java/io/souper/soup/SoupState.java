package io.souper.soup;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything one soup remembers, between inputs and across restarts ({@link #encode()} /
 * {@link #decode(byte[])}). Mutated only by {@link Souper#step}; read by anyone through the public
 * accessors.
 */
public final class SoupState {

    final String soupId;
    final Policy policy;
    final Acceptance acceptance;
    /** What the greedy rule compares, and in which direction. */
    final Objective objective;

    /** Published soup version: 0 until the first publication. */
    long version;
    long decisionSequence;
    long requestsIssued;
    /** (online) checkpoints queued again after a replacement dropped them or their trial. */
    long retriesQueued;

    /** Scored checkpoints; the index is the arrival number. */
    final List<CheckpointScored> checkpoints = new ArrayList<>();
    final Map<String, Integer> arrivalById = new HashMap<>();
    final Map<String, CheckpointFailed> failed = new LinkedHashMap<>();
    final Memo memo = new Memo();
    InFlight inFlight;
    PublishedSoup published = PublishedSoup.EMPTY;
    Decision lastDecision;
    Tally tally = Tally.EMPTY;
    /** (sorted) last announced verdict per checkpoint id. */
    final Map<String, Verdict> verdicts = new HashMap<>();
    /** (online) checkpoints waiting for their trial, first to try first. */
    final ArrayDeque<QueuedCheckpoint> queue = new ArrayDeque<>();
    final EnumMap<Ignored, Long> ignored = new EnumMap<>(Ignored.class);

    SoupState(String soupId, Policy policy, Acceptance acceptance, Objective objective) {
        this.soupId = Inputs.requireText(soupId, "soupId");
        this.policy = Inputs.requireNonNull(policy, "policy of soup " + soupId);
        this.acceptance = Inputs.requireNonNull(acceptance, "accept rule of soup " + soupId);
        this.objective = Inputs.requireNonNull(objective, "metric of soup " + soupId);
        if (soupId.contains("#")) {
            // request ids are soupId#n; a '#' in the id would make them ambiguous
            throw new InvalidSoupInputException("soupId must not contain '#': " + soupId);
        }
    }

    /** A new, empty soup judged by top-1 accuracy. */
    public static SoupState create(String soupId, Policy policy, Acceptance acceptance) {
        return create(soupId, policy, acceptance, Objective.ACCURACY);
    }

    /** A new, empty soup judged by {@code objective} (accuracy up, loss and perplexity down). */
    public static SoupState create(String soupId, Policy policy, Acceptance acceptance, Objective objective) {
        return new SoupState(soupId, policy, acceptance, objective);
    }

    /** Compact, versioned JSON; deterministic (equal states encode to equal bytes). */
    public byte[] encode() {
        return SoupStateCodec.encode(this);
    }

    /** @throws IllegalArgumentException for bytes that are not a soup state of a known format version */
    public static SoupState decode(byte[] bytes) {
        return SoupStateCodec.decode(bytes);
    }

    // ---- package-private helpers for the policies ----

    void addCheckpoint(CheckpointScored c) {
        arrivalById.put(c.checkpointId(), checkpoints.size());
        checkpoints.add(c);
    }

    /** Scored checkpoints are settled; failed ones are not (see {@link CheckpointFailed}). */
    boolean scored(String checkpointId) {
        return arrivalById.containsKey(checkpointId);
    }

    CheckpointScored checkpoint(String checkpointId) {
        return checkpoints.get(arrival(checkpointId));
    }

    int arrival(String checkpointId) {
        Integer arrival = arrivalById.get(checkpointId);
        if (arrival == null) {
            throw new IllegalStateException("soup " + soupId + " has no scored checkpoint " + checkpointId);
        }
        return arrival;
    }

    BitSet arrivalSet(Collection<String> checkpointIds) {
        BitSet set = new BitSet();
        checkpointIds.forEach(id -> set.set(arrival(id)));
        return set;
    }

    /** Scored checkpoints by held-out score, best first by the soup's objective; ties: earlier arrival first. */
    List<CheckpointScored> ranking() {
        List<CheckpointScored> ranked = new ArrayList<>(checkpoints); // arrival order; the sort is stable
        Comparator<CheckpointScored> better = (a, b) -> objective.compare(b.heldOut(), a.heldOut());
        ranked.sort(better);
        return ranked;
    }

    void countIgnored(Ignored reason) {
        ignored.merge(reason, 1L, Long::sum);
    }

    // ---- public read-only view ----

    public String soupId() {
        return soupId;
    }

    public Policy policy() {
        return policy;
    }

    public Acceptance acceptance() {
        return acceptance;
    }

    /** The metric the soup decides on. */
    public Objective objective() {
        return objective;
    }

    /** Published version; 0 before the first publication. */
    public long version() {
        return version;
    }

    /** How many candidate evaluations this soup has requested (memo hits cost none). */
    public long candidateEvaluationsRequested() {
        return requestsIssued;
    }

    public long ignoredCount(Ignored reason) {
        return ignored.getOrDefault(reason, 0L);
    }

    public long ignoredTotal() {
        return ignored.values().stream().mapToLong(Long::longValue).sum();
    }

    /** (online) how many checkpoints were queued again after a replacement. */
    public long retriesQueued() {
        return retriesQueued;
    }

    public int memoSize() {
        return memo.size();
    }

    public long decisionCount() {
        return decisionSequence;
    }

    public Tally tally() {
        return tally;
    }

    public List<String> publishedIngredientIds() {
        return published.ingredientIds();
    }

    public Optional<Accuracy> publishedHeldOut() {
        return Optional.ofNullable(published.heldOut());
    }

    /** Test-split accuracy of the published soup; empty before publication or when the soup has no test split. */
    public Optional<Accuracy> publishedTest() {
        return Optional.ofNullable(published.outcome()).map(CandidateOutcome::test);
    }

    public Optional<Decision> lastDecision() {
        return Optional.ofNullable(lastDecision);
    }

    /** The request awaiting its result, e.g. to send it again if the adapter decides it was lost. */
    public Optional<CandidateRequest> requestInFlight() {
        return Optional.ofNullable(inFlight).map(InFlight::request);
    }
}
