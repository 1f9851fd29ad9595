package io.souper.data;

import io.souper.errors.CodedException;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A data split that cannot be read. Unchecked; {@link #code()} is stable and meant to become
 * a structured {@code EvaluationError}, the message names the file and what was wrong.
 */
public class DatasetException extends CodedException {

    public DatasetException(DatasetErrorCode code, String message) {
        super(code, message, null);
    }

    public DatasetException(DatasetErrorCode code, String message, Throwable cause) {
        super(code, message, cause);
    }

    public DatasetErrorCode code() {
        return (DatasetErrorCode) errorCode();
    }

    static DatasetException io(Path file, IOException e) {
        if (e instanceof NoSuchFileException) {
            return new DatasetException(DatasetErrorCode.FILE_NOT_FOUND, file + ": no such file", e);
        }
        return new DatasetException(DatasetErrorCode.IO_ERROR, file + ": " + e, e);
    }

    static DatasetException bad(Path file, String what) {
        return new DatasetException(DatasetErrorCode.BAD_DATASET, file + ": " + what);
    }
}
