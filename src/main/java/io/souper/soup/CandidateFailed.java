package io.souper.soup;

import java.util.Set;

/**
 * The evaluator could not score a requested candidate. The set is memoised as failed and counts as
 * not beating the soup, so the soup moves on (and a replay never asks for it again).
 */
public record CandidateFailed(String requestId, long baseVersion, Set<String> ingredientIds, String errorCode,
                              String message) implements SoupInput {

    public CandidateFailed {
        Inputs.requireText(requestId, "requestId");
        ingredientIds = Set.copyOf(Inputs.requireNonNull(ingredientIds, "ingredientIds of " + requestId));
        Inputs.requireText(errorCode, "errorCode of failed request " + requestId);
        message = message == null ? "" : message;
    }
}
