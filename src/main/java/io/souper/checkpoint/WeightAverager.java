package io.souper.checkpoint;

import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Uniform soup: the element-wise mean of every tensor of the given checkpoints (parameters
 * and buffers alike, as the paper's reference code does), accumulated in fp64 and rounded
 * half-to-even to each tensor's own dtype (F32, F64, F16, BF16). Integer tensors (I64, I32,
 * U8, BOOL, e.g. BatchNorm's num_batches_tracked) get floor(sum / n) in exact int64
 * arithmetic; for BOOL that is "true only if every input is true".
 *
 * <p>Determinism: the bytes are a function of the ordered list of inputs. Sums are taken
 * in list order, so the same list always yields the same bytes (and sha256); a different
 * order of the same set may differ in the last bit of a few elements. Callers pass the
 * soup's ingredients in the soup's own order (acceptance order), which is also the order
 * a {@link RunningSum} adds them in, so both give identical bytes.
 *
 * <p>Streaming: one chunk (256 Ki elements) of each input is read at a time and the result
 * is written as it is produced, so memory is a few MiB whatever the model size or the
 * number of inputs; tensors are never materialised whole, so even tensors over 2 GiB work.
 * Not thread-safe (it reuses its buffers); use one per thread.
 */
public final class WeightAverager {

    /** Metadata written into every average, so from-scratch and incremental outputs match byte for byte. */
    static final Map<String, String> OUTPUT_METADATA = Map.of("format", "pt");

    /**
     * How input bytes reach the accumulator. Both keep the heap bounded and give identical
     * bytes; they differ in resident memory. Measured (bench/averaging): same speed, but
     * MAPPED leaves every window mapped until the GC collects its buffer (Java 17 cannot
     * unmap), so RSS grows to the size of all inputs (page-cache pages, reclaimable but
     * counted), while POSITIONAL stays under 100 MiB.
     */
    public enum ReadMode {
        /** Read each window into one reused direct buffer (the default). */
        POSITIONAL,
        /** Map each window of each input; no copy through a buffer. */
        MAPPED
    }

    private final ChunkedAccumulator accumulator;

    public WeightAverager() {
        this(ReadMode.POSITIONAL);
    }

    public WeightAverager(ReadMode readMode) {
        this(ChunkedAccumulator.DEFAULT_CHUNK_ELEMENTS, readMode);
    }

    WeightAverager(int chunkElements, ReadMode readMode) {
        this.accumulator = new ChunkedAccumulator(chunkElements, readMode);
    }

    /**
     * Writes the mean of {@code checkpoints} to {@code out} as a safetensors file.
     * All inputs must have the same tensor names, dtypes and shapes (KEY_MISMATCH,
     * DTYPE_MISMATCH, SHAPE_MISMATCH otherwise); NaN or infinity anywhere is
     * NON_FINITE_WEIGHTS. On error, {@code out} holds a partial file: write to a
     * temporary file (as {@link CheckpointStore#writeArtifact} does) and discard it.
     */
    public void average(List<Path> checkpoints, OutputStream out) {
        if (checkpoints.isEmpty()) {
            throw new IllegalArgumentException("cannot average zero checkpoints");
        }
        List<SafetensorsReader> readers = new ArrayList<>(checkpoints.size());
        try {
            for (Path checkpoint : checkpoints) {
                readers.add(SafetensorsReader.open(checkpoint));
            }
            List<TensorSpec> specs = readers.get(0).tensors();
            for (SafetensorsReader other : readers.subList(1, readers.size())) {
                StateDicts.requireCompatible(readers.get(0).file(), specs, other.file(), other.tensors());
            }
            SafetensorsWriter writer = SafetensorsWriter.open(out, specs, OUTPUT_METADATA);
            accumulator.mean(readers, specs, readers.size(), writer);
            writer.finish();
        } finally {
            readers.forEach(SafetensorsReader::close);
        }
    }
}
