package io.souper.evaluator;

import io.souper.errors.ErrorCode;

/**
 * Reasons an evaluation fails that belong to the evaluator itself rather than to the weights,
 * the scoring or the data (those are {@code CheckpointErrorCode}, {@link ScoringErrorCode} and
 * {@code DatasetErrorCode}). The names are {@code EvaluationError.code} strings.
 */
public enum EvaluatorErrorCode implements ErrorCode {
    /** No SoupDefinition for the soup, even after reading souper.definitions to its end. */
    UNKNOWN_SOUP(false),
    /** The event decoded but cannot be acted on (blank ids, key and soup id disagree, no ingredients...). */
    INVALID_EVENT(false),
    /** libtorch failed while running (e.g. out of device memory); the same request may succeed later. */
    ENGINE_ERROR(true),
    /**
     * Handling this record stopped the evaluator (out of memory, a native crash) as many times as
     * it may ({@code --crash-attempts}); it was answered with this instead of being tried again.
     */
    REPEATED_CRASH(false),
    /** A bug: an exception nobody expected. The message names it. */
    INTERNAL_ERROR(false);

    private final boolean retriable;

    EvaluatorErrorCode(boolean retriable) {
        this.retriable = retriable;
    }

    public boolean retriable() {
        return retriable;
    }
}
