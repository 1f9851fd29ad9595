package io.souper.checkpoint;

import java.util.List;

/**
 * The averaging loop ({@link ChunkedAccumulator}) for callers outside this package that bring
 * their own readers, e.g. shards read from an object store: for each spec, in the given order,
 * the operands' tensors are summed in fp64 (int64 for integers) in operand order from zero and
 * the mean, rounded as PyTorch rounds, is written to {@code out}. Bytes are identical to
 * {@link RunningSum} for the same operands in the same order.
 * Memory is a few chunk-sized buffers. Not thread-safe.
 */
public final class StreamingMean {

    private final ChunkedAccumulator accumulator =
            new ChunkedAccumulator(ChunkedAccumulator.DEFAULT_CHUNK_ELEMENTS);

    /** Metadata of every averaged file ({"format": "pt"}, which from_pretrained requires). */
    public static java.util.Map<String, String> outputMetadata() {
        return RunningSum.OUTPUT_METADATA;
    }

    /** Writes mean tensors for {@code specs}; each operand must hold every spec's tensor. */
    public void mean(List<SafetensorsReader> operands, List<TensorSpec> specs, long divisor, SafetensorsWriter out) {
        if (divisor <= 0) {
            throw new IllegalArgumentException("divisor must be positive, got " + divisor);
        }
        accumulator.mean(operands, specs, divisor, out);
    }

    /** {@code specs} with each dtype promoted with the same tensor's in {@code other} (see {@link DType#promotedWith}). */
    public static List<TensorSpec> promoted(List<TensorSpec> specs, List<TensorSpec> other) {
        return StateDicts.promoted(specs, other);
    }

    /** Checks that a state dict can be averaged with a reference one (KEY_, DTYPE_, SHAPE_MISMATCH otherwise). */
    public static void requireCompatible(String referenceName, List<TensorSpec> reference, String otherName,
                                         List<TensorSpec> other) {
        StateDicts.requireCompatible(java.nio.file.Path.of(referenceName), reference, java.nio.file.Path.of(otherName), other);
    }
}
