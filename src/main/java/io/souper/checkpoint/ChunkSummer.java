package io.souper.checkpoint;

import io.souper.errors.SouperException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * One lane of {@link ChunkedAccumulator}: sums an element range of one tensor over all operands,
 * chunk by chunk, and leaves the encoded result (the mean in the tensor's dtype, or the exact
 * F64/I64 sum) in {@link #output()}. Each chunk's elements are added straight from the direct
 * buffer the file was read into (one copy, the kernel's, between the page cache and the add).
 * Not thread-safe: one lane, one thread at a time.
 */
final class ChunkSummer {

    private final int chunk;
    private final double[] floatSum;
    private final long[] intSum;
    private final ByteBuffer window;
    private final ByteBuffer output;

    ChunkSummer(int chunkElements, int chunksPerFill) {
        this.chunk = chunkElements;
        this.floatSum = new double[chunk];
        this.intSum = new long[chunk];
        this.window = ByteBuffer.allocateDirect(chunk * 8).order(ByteOrder.LITTLE_ENDIAN);
        this.output = ByteBuffer.allocate(Math.multiplyExact(chunk * 8, chunksPerFill)).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The bytes of the last {@link #fill}, ready to be written. */
    ByteBuffer output() {
        return output;
    }

    /** Sums elements [from, to) of {@code spec} over {@code operands}; divisor 0 keeps the exact sum. */
    void fill(List<SafetensorsReader> operands, TensorSpec spec, long from, long to, long divisor) {
        output.clear();
        for (long start = from; start < to; start += chunk) {
            int len = (int) Math.min(chunk, to - start);
            if (spec.dtype().isFloatingPoint()) {
                Arrays.fill(floatSum, 0, len, 0.0);
                for (SafetensorsReader operand : operands) {
                    addFloats(operand, spec.name(), start, len);
                }
                requireFinite(operands, spec.name(), start, len);
                encodeFloats(spec, len, divisor);
            } else {
                Arrays.fill(intSum, 0, len, 0L);
                for (SafetensorsReader operand : operands) {
                    addInts(operand, spec.name(), start, len);
                }
                encodeInts(spec, len, divisor);
            }
        }
        output.flip();
    }

    private ByteBuffer read(SafetensorsReader operand, DType dtype, String name, long firstElement, int len) {
        int size = dtype.byteSize();
        window.clear().limit(len * size);
        operand.read(name, firstElement * size, window);
        return window;
    }

    /** One loop per dtype, so each is a tight loop over absolute reads of the window. */
    private void addFloats(SafetensorsReader operand, String name, long start, int len) {
        DType dtype = operand.spec(name).dtype();
        ByteBuffer in = read(operand, dtype, name, start, len);
        double[] acc = floatSum;
        switch (dtype) {
            case F32 -> {
                for (int i = 0; i < len; i++) {
                    acc[i] += in.getFloat(i << 2);
                }
            }
            case F64 -> {
                for (int i = 0; i < len; i++) {
                    acc[i] += in.getDouble(i << 3);
                }
            }
            case BF16 -> {
                for (int i = 0; i < len; i++) {
                    acc[i] += HalfFloats.bf16ToDouble(in.getShort(i << 1));
                }
            }
            case F16 -> {
                for (int i = 0; i < len; i++) {
                    acc[i] += HalfFloats.f16ToDouble(in.getShort(i << 1));
                }
            }
            default -> throw new IllegalStateException(operand.file() + ": tensor '" + name + "' is " + dtype
                    + ", expected a floating-point dtype");
        }
    }

    private void addInts(SafetensorsReader operand, String name, long start, int len) {
        DType dtype = operand.spec(name).dtype();
        ByteBuffer in = read(operand, dtype, name, start, len);
        long[] acc = intSum;
        try {
            for (int i = 0; i < len; i++) {
                long v = switch (dtype) {
                    case I64 -> in.getLong(i * 8);
                    case I32 -> in.getInt(i * 4);
                    case U8 -> in.get(i) & 0xff;
                    case BOOL -> in.get(i) != 0 ? 1 : 0;
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

    private void encodeFloats(TensorSpec spec, int len, long divisor) {
        ByteBuffer out = output;
        int at = out.position();
        double[] acc = floatSum;
        if (divisor == 0) {
            out.asDoubleBuffer().put(acc, 0, len);
            out.position(at + len * 8);
            return;
        }
        double n = divisor;
        switch (spec.dtype()) {
            case F32 -> {
                for (int i = 0; i < len; i++) {
                    out.putFloat(at + (i << 2), (float) (acc[i] / n));
                }
            }
            case F64 -> {
                for (int i = 0; i < len; i++) {
                    out.putDouble(at + (i << 3), acc[i] / n);
                }
            }
            case F16 -> {
                for (int i = 0; i < len; i++) {
                    out.putShort(at + (i << 1), HalfFloats.doubleToF16(acc[i] / n));
                }
            }
            case BF16 -> {
                for (int i = 0; i < len; i++) {
                    out.putShort(at + (i << 1), HalfFloats.doubleToBf16(acc[i] / n));
                }
            }
            default -> throw new IllegalStateException("not a float dtype: " + spec);
        }
        out.position(at + len * spec.dtype().byteSize());
    }

    /** Integer means are floor(sum / n) in exact int64 arithmetic, so they always fit the input dtype. */
    private void encodeInts(TensorSpec spec, int len, long divisor) {
        ByteBuffer out = output;
        int at = out.position();
        long[] acc = intSum;
        DType dtype = divisor == 0 ? DType.I64 : spec.dtype();
        for (int i = 0; i < len; i++) {
            long v = divisor == 0 ? acc[i] : Math.floorDiv(acc[i], divisor);
            switch (dtype) {
                case I64 -> out.putLong(at + i * 8, v);
                case I32 -> out.putInt(at + i * 4, (int) v);
                case U8, BOOL -> out.put(at + i, (byte) v);
                default -> throw new IllegalStateException("not an integer dtype: " + spec);
            }
        }
        out.position(at + len * dtype.byteSize());
    }
}
