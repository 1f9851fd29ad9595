package io.souper.data;

import io.souper.errors.ErrorCode;
import io.souper.errors.SouperException;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

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

    /** Maps an I/O failure on {@code file} to FILE_NOT_FOUND or the retriable IO_ERROR. */
    static SouperException io(Path file, IOException e) {
        if (e instanceof NoSuchFileException) {
            return new SouperException(FILE_NOT_FOUND, file + ": no such file", e);
        }
        return new SouperException(IO_ERROR, file + ": " + e, e);
    }

    static SouperException bad(Path file, String what) {
        return new SouperException(BAD_DATASET, file + ": " + what);
    }
}
