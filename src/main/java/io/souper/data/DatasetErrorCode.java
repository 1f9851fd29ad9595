package io.souper.data;

import io.souper.errors.ErrorCode;

/**
 * Stable, machine-readable reasons why a data split could not be loaded; the names are
 * the {@code code} strings of the {@code EvaluationError} event. Only {@link #IO_ERROR}
 * is worth retrying.
 */
public enum DatasetErrorCode implements ErrorCode {
    /** The URI is not one Souper understands (scheme, query parameter, format). */
    BAD_URI(false),
    FILE_NOT_FOUND(false),
    /** The file exists but is not a well-formed dataset (header, dtype, shape, count). */
    BAD_DATASET(false),
    /** The file system failed underneath us; the same request may succeed later. */
    IO_ERROR(true);

    private final boolean retriable;

    DatasetErrorCode(boolean retriable) {
        this.retriable = retriable;
    }

    public boolean retriable() {
        return retriable;
    }
}
