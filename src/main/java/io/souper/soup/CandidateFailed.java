package io.souper.soup;

import java.util.Set;

/**
 * The evaluator could not score a requested candidate. A failure that is not {@code retriable} is
 * memoised as failed and counts as not beating the soup, so the soup moves on (and a replay never
 * asks for it again). A {@code retriable} one (the world's fault, e.g. a store that did not answer)
 * makes the soup ask again for the same set, up to {@link Souper#RETRIABLE_CANDIDATE_ATTEMPTS}
 * attempts in a row; the last one is then final like any other failure.
 */
public record CandidateFailed(String requestId, long baseVersion, Set<String> ingredientIds, String errorCode,
                              String message, boolean retriable) implements SoupInput {

    public CandidateFailed {
        Inputs.requireText(requestId, "requestId");
        ingredientIds = Set.copyOf(Inputs.requireNonNull(ingredientIds, "ingredientIds of " + requestId));
        Inputs.requireText(errorCode, "errorCode of failed request " + requestId);
        message = message == null ? "" : message;
    }

    /** A final (not retriable) failure. */
    public CandidateFailed(String requestId, long baseVersion, Set<String> ingredientIds, String errorCode,
                           String message) {
        this(requestId, baseVersion, ingredientIds, errorCode, message, false);
    }
}
