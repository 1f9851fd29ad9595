package io.souper.scoring;

import io.souper.errors.ErrorCode;

/**
 * Stable, machine-readable reasons why a checkpoint could not be scored; the names are the
 * {@code code} strings of the {@code EvaluationError} event (the weight-related ones match
 * {@code io.souper.checkpoint.CheckpointErrorCode}). Only {@link #IO_ERROR} is worth retrying.
 */
public enum ScoringErrorCode implements ErrorCode {
    /** The architecture file is missing. */
    FILE_NOT_FOUND(false),
    /** The architecture file is not a TorchScript archive libtorch can load. */
    BAD_ARCHITECTURE(false),
    /**
     * The architecture holds tensors that are not parameters (buffers such as BatchNorm running
     * statistics) but exports no {@code souper_buffers()} method, so a checkpoint's buffers could
     * not be applied and its scores would silently use the architecture's own.
     */
    UNREACHABLE_BUFFERS(false),
    /** A state-dict key the architecture lacks, or an architecture key the state dict lacks. */
    KEY_MISMATCH(false),
    SHAPE_MISMATCH(false),
    /** A tensor whose dtype cannot be converted to the architecture's without changing its meaning. */
    DTYPE_MISMATCH(false),
    /** NaN or infinity in the weights (or a value that overflows the architecture's dtype). */
    NON_FINITE_WEIGHTS(false),
    /** Finite weights whose logits are NaN or infinite: the model is numerically broken. */
    NON_FINITE_OUTPUT(false),
    /** The data's image shape does not fit the network. */
    INPUT_MISMATCH(false),
    /** The network's output is not a [batch, classes] matrix of logits. */
    BAD_OUTPUT(false),
    /** A label outside [0, classes): data and architecture do not belong together. */
    LABEL_OUT_OF_RANGE(false),
    /** The requested device does not exist on this machine. */
    DEVICE_UNAVAILABLE(false),
    /** The file system failed underneath us; the same request may succeed later. */
    IO_ERROR(true);

    private final boolean retriable;

    ScoringErrorCode(boolean retriable) {
        this.retriable = retriable;
    }

    public boolean retriable() {
        return retriable;
    }
}
