package io.souper.soup;

import java.util.List;

/**
 * One audit record (souper.decisions).
 *
 * @param sequence 1, 2, 3... per soup, in decision order
 * @param soupVersion the published soup version once the decision took effect (sorted: decisions of a replay
 *                    that completes carry the version it published; online: an ACCEPTED or REPLACED carries
 *                    the version it created)
 * @param candidateIngredients checkpoint ids of the set judged (soup order, tried checkpoint last); empty for FAILED
 * @param candidateAccuracy nullable (FAILED, or a candidate whose evaluation failed)
 * @param soupAccuracy nullable (no soup yet): the soup the candidate was compared against
 * @param requestId nullable: the request whose result decided (for a memo hit, the request that scored the set)
 */
public record Decision(String soupId, long sequence, long soupVersion, Kind kind, String checkpointId,
                       List<String> candidateIngredients, Accuracy candidateAccuracy, Accuracy soupAccuracy,
                       Policy policy, Acceptance acceptance, String requestId, String reason, long decidedAtMillis) {

    public enum Kind {
        /** First ingredient: the best checkpoint (sorted) or the first one (online). */
        SEEDED,
        /** The candidate set beat the soup; the checkpoint joined. */
        ACCEPTED,
        /** The candidate set did not beat the soup (or could not be scored). */
        REJECTED,
        /** (online) the checkpoint alone beat the soup and replaced it; the dropped ingredients are retried. */
        REPLACED,
        /** The checkpoint could not be scored; never an ingredient. */
        FAILED,
        /** (sorted) the checkpoint ranks above already-scored ones, so the greedy loop is replayed from its rank. */
        REBUILT
    }

    public Decision {
        candidateIngredients = List.copyOf(candidateIngredients);
    }

    /** The schema's decisionId: soup id and sequence number. */
    public String decisionId() {
        return soupId + "#" + sequence;
    }
}
