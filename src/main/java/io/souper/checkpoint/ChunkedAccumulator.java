package io.souper.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The one loop behind averaging and running sums: for every tensor, in name order, and
 * for every chunk of its elements, add the operands in list order into an fp64 (or, for
 * integer tensors, int64) accumulator starting at zero, then write the chunk. Because
 * the additions always happen in the same order from the same zero, a sum written to an
 * F64 file and read back later continues exactly where a from-scratch sum would be, so
 * incremental and from-scratch averages are bit-identical. Memory is a few chunk-sized
 * arrays per core, whatever the number or size of the checkpoints.
 * An operand's tensor may be stored in the logical dtype (a checkpoint) or as F64/I64
 * (a running sum); each element is widened exactly before it is added.
 *
 * <p>Speed (issue 13, measured in bench/averaging): the work is split by element range over
 * {@link AveragingLanes} (one lane per core, at most four): each lane reads its own windows of
 * every operand and sums them, so the per-element order of additions, and thus every byte, is
 * the same as with one lane. Lanes run only when every operand is a local file
 * ({@link SafetensorsReader#readsInParallel}); an object-store stream reads best in order. A
 * lane's chunk is small enough that its accumulator and read window stay in the core's L2 cache
 * (32 Ki elements: 256 KiB of sums, at most 256 KiB of window), and each element is added
 * straight from the window the file was read into, with no copy to an intermediate array.
 */
final class ChunkedAccumulator {

    /** Elements per read window and accumulator: L2-sized (see the class comment). */
    static final int DEFAULT_CHUNK_ELEMENTS = 1 << 15;

    /**
     * Chunks a lane does per hand-off: enough work (a few MB) that waiting for the lanes costs
     * little, small enough that a tensor of a few million elements still spreads over every lane.
     */
    static final int CHUNKS_PER_STEP = 8;

    private final int chunk;
    private final AveragingLanes lanes;
    private final ChunkSummer[] summers;

    ChunkedAccumulator(int chunkElements) {
        this(chunkElements, AveragingLanes.shared());
    }

    ChunkedAccumulator(int chunkElements, AveragingLanes lanes) {
        if (chunkElements <= 0 || chunkElements > (1 << 26)) {
            throw new IllegalArgumentException("chunk of " + chunkElements + " elements is out of range");
        }
        this.chunk = chunkElements;
        this.lanes = lanes;
        this.summers = new ChunkSummer[lanes.count()];
        for (int i = 0; i < summers.length; i++) {
            summers[i] = new ChunkSummer(chunk, CHUNKS_PER_STEP);
        }
    }

    /** Writes, for each spec, the mean of the operands' tensors: sum / divisor rounded to the spec's dtype. */
    void mean(List<SafetensorsReader> operands, List<TensorSpec> specs, long divisor, SafetensorsWriter out) {
        run(operands, specs, divisor, out);
    }

    /** Writes, for each spec, the exact running sum: F64 for float tensors, I64 for integer ones. */
    void sum(List<SafetensorsReader> operands, List<TensorSpec> specs, SafetensorsWriter out) {
        run(operands, specs, 0, out);
    }

    /** The dtype a running sum of a tensor of {@code dtype} is stored in. */
    static DType sumDtype(DType dtype) {
        return dtype.isFloatingPoint() ? DType.F64 : DType.I64;
    }

    private void run(List<SafetensorsReader> operands, List<TensorSpec> specs, long divisor, SafetensorsWriter out) {
        boolean parallel = summers.length > 1 && operands.stream().allMatch(SafetensorsReader::readsInParallel);
        int width = parallel ? summers.length : 1;
        long step = (long) chunk * CHUNKS_PER_STEP;
        Runnable[] work = new Runnable[width];
        for (TensorSpec spec : specs) {
            long count = spec.elementCount();
            for (long start = 0; start < count; start += step * width) {
                int used = 0;
                for (int lane = 0; lane < width; lane++) {
                    long from = start + lane * step;
                    if (from >= count) {
                        break;
                    }
                    long to = Math.min(count, from + step);
                    ChunkSummer summer = summers[lane];
                    work[lane] = () -> summer.fill(operands, spec, from, to, divisor);
                    used++;
                }
                lanes.runAll(work, used);
                for (int lane = 0; lane < used; lane++) {
                    out.writeData(spec.name(), summers[lane].output());
                }
            }
        }
    }
}
