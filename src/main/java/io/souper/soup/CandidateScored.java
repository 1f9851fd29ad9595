package io.souper.soup;

import java.util.Set;

/**
 * The evaluator's score for a requested candidate (the uniform average of {@code ingredientIds}).
 *
 * @param ingredientIds must equal the requested set; a mismatch is a broken evaluator and is refused
 * @param test nullable, reported only
 * @param artifactUri nullable: where the evaluator stored the averaged weights
 * @param artifactSha256 nullable
 */
public record CandidateScored(String requestId, long baseVersion, Set<String> ingredientIds, Accuracy heldOut,
                              Accuracy test, String artifactUri, String artifactSha256) implements SoupInput {

    public CandidateScored {
        Inputs.requireText(requestId, "requestId");
        ingredientIds = Set.copyOf(Inputs.requireNonNull(ingredientIds, "ingredientIds of " + requestId));
        Inputs.requireNonNull(heldOut, "held-out accuracy of " + requestId);
    }

    public CandidateScored(String requestId, long baseVersion, Set<String> ingredientIds, Accuracy heldOut) {
        this(requestId, baseVersion, ingredientIds, heldOut, null, null, null);
    }
}
