package io.souper.scoring;

import io.souper.errors.CodedException;

/**
 * A checkpoint, architecture or data split that cannot be scored. Unchecked; {@link #code()}
 * is stable and meant to become a structured {@code EvaluationError}, the message names the
 * tensor, file or device that was wrong.
 */
public class ScoringException extends CodedException {

    public ScoringException(ScoringErrorCode code, String message) {
        super(code, message, null);
    }

    public ScoringException(ScoringErrorCode code, String message, Throwable cause) {
        super(code, message, cause);
    }

    public ScoringErrorCode code() {
        return (ScoringErrorCode) errorCode();
    }
}
