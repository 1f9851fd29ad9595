package io.souper.checkpoint;

import io.souper.errors.CodedException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Anything that goes wrong reading, writing, resolving or averaging checkpoints.
 * Unchecked so streaming code stays readable; {@link #code()} is stable and meant
 * to become a structured {@code EvaluationError}, the message is for humans.
 */
public class CheckpointException extends CodedException {

    public CheckpointException(CheckpointErrorCode code, String message) {
        super(code, message, null);
    }

    public CheckpointException(CheckpointErrorCode code, String message, Throwable cause) {
        super(code, message, cause);
    }

    public CheckpointErrorCode code() {
        return (CheckpointErrorCode) errorCode();
    }

    /** Maps an I/O failure on {@code file} to FILE_NOT_FOUND or the retriable IO_ERROR. */
    static CheckpointException io(Path file, IOException e) {
        if (e instanceof NoSuchFileException) {
            return new CheckpointException(CheckpointErrorCode.FILE_NOT_FOUND, file + ": no such file", e);
        }
        return new CheckpointException(CheckpointErrorCode.IO_ERROR, file + ": " + e, e);
    }

    static CheckpointException io(Path file, UncheckedIOException e) {
        return io(file, e.getCause());
    }
}
