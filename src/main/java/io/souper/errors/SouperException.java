package io.souper.errors;

/**
 * A failure with a stable {@link ErrorCode}: the code is for machines (it becomes a structured
 * EvaluationError and a dead-letter reason), the message for people. Every layer throws this one
 * type with a code from its own enum (CheckpointErrorCode, DatasetErrorCode, ScoringErrorCode,
 * EvaluatorErrorCode), so whoever catches it needs no per-layer subclass to know what went wrong.
 * Unchecked, so streaming code stays readable. The message is prefixed with the code;
 * {@link #detail()} is without it.
 */
public final class SouperException extends RuntimeException {

    private final ErrorCode code;

    public SouperException(ErrorCode code, String message) {
        this(code, message, null);
    }

    public SouperException(ErrorCode code, String message, Throwable cause) {
        super(code.name() + ": " + message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    /** True when trying the same thing again may succeed (the code says so). */
    public boolean retriable() {
        return code.retriable();
    }

    /** The message without the code prefix. */
    public String detail() {
        return getMessage().substring(code.name().length() + 2);
    }
}
