package io.souper.checkpoint;

import io.souper.errors.ErrorCode;
import io.souper.errors.SouperException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Stable, machine-readable reasons why a checkpoint could not be used. The names are
 * the {@code code} strings of the {@code EvaluationError} event, so an evaluator can
 * forward them unchanged; only {@link #IO_ERROR} is worth retrying.
 */
public enum CheckpointErrorCode implements ErrorCode {
    /** Not a usable {@code file:} URI: unparseable, other scheme, host, query, not normalised. */
    BAD_URI(false),
    /**
     * A well-formed file URI whose path (or symlink target) lies outside every configured root,
     * or an s3 URI outside every allowed bucket/prefix pair.
     */
    URI_OUTSIDE_ROOTS(false),
    FILE_NOT_FOUND(false),
    /** The file's sha256 differs from the one the event announced (or that one is malformed). */
    HASH_MISMATCH(false),
    /** Malformed safetensors file: header, offsets, dtypes or shapes. */
    BAD_HEADER(false),
    /** Checkpoints to be averaged do not have the same tensor names. */
    KEY_MISMATCH(false),
    SHAPE_MISMATCH(false),
    DTYPE_MISMATCH(false),
    /** NaN or infinity in the weights (or an F64 sum that overflowed). */
    NON_FINITE_WEIGHTS(false),
    /** An integer tensor's sum does not fit in 64 bits. */
    INTEGER_OVERFLOW(false),
    // [h-objstore] sharded checkpoints (model.safetensors.index.json + shards)
    /** The index file is not a valid safetensors index (JSON, weight_map, shard file names). */
    BAD_INDEX(false),
    /** A shard the index names does not exist. */
    SHARD_MISSING(false),
    /** The index names a tensor twice, or two shards hold the same tensor. */
    DUPLICATE_TENSOR(false),
    /** A shard does not hold what the index says (a tensor missing or unexpected, total_size wrong). */
    SHARD_MISMATCH(false),
    /** The file system or object store failed underneath us; the same request may succeed later. */
    IO_ERROR(true);

    private final boolean retriable;

    CheckpointErrorCode(boolean retriable) {
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

    static SouperException io(Path file, UncheckedIOException e) {
        return io(file, e.getCause());
    }
}
