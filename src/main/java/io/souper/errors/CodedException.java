package io.souper.errors;

/**
 * A failure with a stable {@link ErrorCode}: the code is for machines (it becomes a structured
 * EvaluationError and a dead-letter reason), the message for people. Unchecked, so streaming
 * code stays readable. The message is prefixed with the code; {@link #detail()} is without it.
 */
public abstract class CodedException extends RuntimeException {

    private final ErrorCode code;

    protected CodedException(ErrorCode code, String message, Throwable cause) {
        super(code.name() + ": " + message, cause);
        this.code = code;
    }

    public ErrorCode errorCode() {
        return code;
    }

    public boolean retriable() {
        return code.retriable();
    }

    /** The message without the code prefix. */
    public String detail() {
        return getMessage().substring(code.name().length() + 2);
    }
}
