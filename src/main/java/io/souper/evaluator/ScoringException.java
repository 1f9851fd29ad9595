package io.souper.evaluator;

/**
 * A checkpoint, architecture or data split that cannot be scored. Unchecked; {@link #code()}
 * is stable and meant to become a structured {@code EvaluationError}, the message names the
 * tensor, file or device that was wrong.
 */
public class ScoringException extends RuntimeException {

    private final ScoringErrorCode code;

    public ScoringException(ScoringErrorCode code, String message) {
        super(code + ": " + message);
        this.code = code;
    }

    public ScoringException(ScoringErrorCode code, String message, Throwable cause) {
        super(code + ": " + message, cause);
        this.code = code;
    }

    public ScoringErrorCode code() {
        return code;
    }

    public boolean retriable() {
        return code.retriable();
    }

    /** Message without the code prefix. */
    public String detail() {
        return getMessage().substring(code.name().length() + 2);
    }
}
