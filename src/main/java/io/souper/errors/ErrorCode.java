package io.souper.errors;

/**
 * A stable, machine-readable reason for a failure (the {@code code} of an EvaluationError):
 * each layer has its own enum of them; they all say whether trying again may help.
 */
public interface ErrorCode {
    String name();

    boolean retriable();
}
