package io.souper.checkpoint;

import io.souper.errors.SouperException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * The one loop behind averaging and running sums: for every tensor, in name order, and
 * for every chunk of its elements, add the operands in list order into an fp64 (or, for
 * integer tensors, int64) accumulator starting at zero, then write the chunk. Because
 * the additions always happen in the same order from the same zero, a sum written to an
 * F64 file and read back later continues exactly where a from-scratch sum would be, so
 * incremental and from-scratch averages are bit-identical. Memory is a few chunk-sized
 * arrays, whatever the number or size of the checkpoints.
 * An operand's tensor may be stored in the logical dtype (a checkpoint) or as F64/I64
 * (a running sum); each element is widened exactly before it is added.
 */
final class ChunkedAccumulator {

    static final int DEFAULT_CHUNK_ELEMENTS = 1 << 18;

    private final int chunk;
    private final double[] floatSum;
    private final long[] intSum;
    private final float[] f32;
    private final double[] f64;
    private final short[] f16;
    private final ByteBuffer readBuffer;
    private final ByteBuffer outBuffer;

    /**
     * Inputs are read window by window into one reused direct buffer. Measured (bench/averaging,
     * when memory-mapped windows were an option): the same speed, but Java 17 cannot unmap a
     * buffer, so mapped windows stayed resident until a GC and the process grew to the size of all
     * inputs, while positional reads stay under 100 MiB.
     */
    ChunkedAccumulator(int chunkElements) {
        if (chunkElements <= 0 || chunkElements > (1 << 26)) {
            throw new IllegalArgumentException("chunk of " + chunkElements + " elements is out of range");
        }
        this.chunk = chunkElements;
        this.floatSum = new double[chunk];
        this.intSum = new long[chunk];
        this.f32 = new float[chunk];
        this.f64 = new double[chunk];
        this.f16 = new short[chunk];
        this.readBuffer = ByteBuffer.allocateDirect(chunk * 8).order(ByteOrder.LITTLE_ENDIAN);
        this.outBuffer = ByteBuffer.allocate(chunk * 8).order(ByteOrder.LITTLE_ENDIAN);
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
        for (TensorSpec spec : specs) {
            long count = spec.elementCount();
            for (long start = 0; start < count; start += chunk) {
                int len = (int) Math.min(chunk, count - start);
                if (spec.dtype().isFloatingPoint()) {
                    Arrays.fill(floatSum, 0, len, 0.0);
                    for (SafetensorsReader operand : operands) {
                        addFloats(operand, spec.name(), start, len);
                    }
                    requireFinite(operands, spec.name(), start, len);
                    writeFloats(spec, len, divisor, out);
                } else {
                    Arrays.fill(intSum, 0, len, 0L);
                    for (SafetensorsReader operand : operands) {
                        addInts(operand, spec.name(), start, len);
                    }
                    writeInts(spec, len, divisor, out);
                }
            }
        }
    }

    private ByteBuffer window(SafetensorsReader operand, String name, long firstElement, int len) {
        int size = operand.spec(name).dtype().byteSize();
        long offset = firstElement * size;
        readBuffer.clear().limit(len * size);
        operand.read(name, offset, readBuffer);
        return readBuffer.flip();
    }

    private void addFloats(SafetensorsReader operand, String name, long start, int len) {
        DType dtype = operand.spec(name).dtype();
        ByteBuffer bytes = window(operand, name, start, len);
        double[] acc = floatSum;
        switch (dtype) {
            case F32 -> {
                bytes.asFloatBuffer().get(f32, 0, len);
                for (int i = 0; i < len; i++) {
                    acc[i] += f32[i];
                }
            }
            case F64 -> {
                bytes.asDoubleBuffer().get(f64, 0, len);
                for (int i = 0; i < len; i++) {
                    acc[i] += f64[i];
                }
            }
            case F16 -> {
                bytes.asShortBuffer().get(f16, 0, len);
                for (int i = 0; i < len; i++) {
                    acc[i] += HalfFloats.f16ToDouble(f16[i]);
                }
            }
            case BF16 -> {
                bytes.asShortBuffer().get(f16, 0, len);
                for (int i = 0; i < len; i++) {
                    acc[i] += HalfFloats.bf16ToDouble(f16[i]);
                }
            }
            default -> throw new IllegalStateException(operand.file() + ": tensor '" + name + "' is " + dtype
                    + ", expected a floating-point dtype");
        }
    }

    private void addInts(SafetensorsReader operand, String name, long start, int len) {
        DType dtype = operand.spec(name).dtype();
        ByteBuffer bytes = window(operand, name, start, len);
        long[] acc = intSum;
        try {
            for (int i = 0; i < len; i++) {
                long v = switch (dtype) {
                    case I64 -> bytes.getLong(i * 8);
                    case I32 -> bytes.getInt(i * 4);
                    case U8 -> bytes.get(i) & 0xff;
                    case BOOL -> bytes.get(i) != 0 ? 1 : 0;
                    default -> throw new IllegalStateException(operand.file() + ": tensor '" + name + "' is "
                            + dtype + ", expected an integer dtype");
                };
                acc[i] = Math.addExact(acc[i], v);
            }
        } catch (ArithmeticException e) {
            throw new SouperException(CheckpointErrorCode.INTEGER_OVERFLOW, "sum of integer tensor '" + name
                    + "' overflows 64 bits when adding " + operand.file());
        }
    }

    /** Cheap on the happy path: one pass over the sums; only a failure re-reads to name the culprit. */
    private void requireFinite(List<SafetensorsReader> operands, String name, long start, int len) {
        int bad = -1;
        for (int i = 0; i < len; i++) {
            if (!Double.isFinite(floatSum[i])) {
                bad = i;
                break;
            }
        }
        if (bad < 0) {
            return;
        }
        for (SafetensorsReader operand : operands) {
            Arrays.fill(floatSum, 0, len, 0.0);
            addFloats(operand, name, start, len);
            for (int i = 0; i < len; i++) {
                if (!Double.isFinite(floatSum[i])) {
                    throw new SouperException(CheckpointErrorCode.NON_FINITE_WEIGHTS, operand.file()
                            + ": tensor '" + name + "' has " + floatSum[i] + " at element " + (start + i));
                }
            }
        }
        throw new SouperException(CheckpointErrorCode.NON_FINITE_WEIGHTS, "the fp64 sum of tensor '" + name
                + "' overflows at element " + (start + bad));
    }

    private void writeFloats(TensorSpec spec, int len, long divisor, SafetensorsWriter out) {
        ByteBuffer bytes = outBuffer.clear();
        double[] acc = floatSum;
        if (divisor == 0) {
            bytes.asDoubleBuffer().put(acc, 0, len);
            bytes.limit(len * 8);
        } else {
            double n = divisor;
            switch (spec.dtype()) {
                case F32 -> {
                    for (int i = 0; i < len; i++) {
                        f32[i] = (float) (acc[i] / n);
                    }
                    bytes.asFloatBuffer().put(f32, 0, len);
                }
                case F64 -> {
                    for (int i = 0; i < len; i++) {
                        f64[i] = acc[i] / n;
                    }
                    bytes.asDoubleBuffer().put(f64, 0, len);
                }
                case F16 -> {
                    for (int i = 0; i < len; i++) {
                        f16[i] = HalfFloats.doubleToF16(acc[i] / n);
                    }
                    bytes.asShortBuffer().put(f16, 0, len);
                }
                case BF16 -> {
                    for (int i = 0; i < len; i++) {
                        f16[i] = HalfFloats.doubleToBf16(acc[i] / n);
                    }
                    bytes.asShortBuffer().put(f16, 0, len);
                }
                default -> throw new IllegalStateException("not a float dtype: " + spec);
            }
            bytes.limit(len * spec.dtype().byteSize());
        }
        out.writeData(spec.name(), bytes);
    }

    /** Integer means are floor(sum / n) in exact int64 arithmetic, so they always fit the input dtype. */
    private void writeInts(TensorSpec spec, int len, long divisor, SafetensorsWriter out) {
        ByteBuffer bytes = outBuffer.clear();
        long[] acc = intSum;
        DType dtype = divisor == 0 ? DType.I64 : spec.dtype();
        for (int i = 0; i < len; i++) {
            long v = divisor == 0 ? acc[i] : Math.floorDiv(acc[i], divisor);
            switch (dtype) {
                case I64 -> bytes.putLong(i * 8, v);
                case I32 -> bytes.putInt(i * 4, (int) v);
                case U8, BOOL -> bytes.put(i, (byte) v);
                default -> throw new IllegalStateException("not an integer dtype: " + spec);
            }
        }
        bytes.limit(len * dtype.byteSize());
        out.writeData(spec.name(), bytes);
    }
}
