package io.souper.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Builds small tensors and checkpoint files for tests. */
final class TestTensors {

    private TestTensors() {
    }

    static Tensor f32(String name, long[] shape, float... values) {
        ByteBuffer b = le(values.length * 4);
        for (float v : values) {
            b.putFloat(v);
        }
        return new Tensor(name, DType.F32, shape, b.flip());
    }

    static Tensor f64(String name, long[] shape, double... values) {
        ByteBuffer b = le(values.length * 8);
        for (double v : values) {
            b.putDouble(v);
        }
        return new Tensor(name, DType.F64, shape, b.flip());
    }

    /** F16 or BF16 from raw bit patterns. */
    static Tensor half(String name, DType dtype, long[] shape, short... bits) {
        ByteBuffer b = le(bits.length * 2);
        for (short v : bits) {
            b.putShort(v);
        }
        return new Tensor(name, dtype, shape, b.flip());
    }

    static Tensor i64(String name, long[] shape, long... values) {
        ByteBuffer b = le(values.length * 8);
        for (long v : values) {
            b.putLong(v);
        }
        return new Tensor(name, DType.I64, shape, b.flip());
    }

    static Tensor i32(String name, long[] shape, int... values) {
        ByteBuffer b = le(values.length * 4);
        for (int v : values) {
            b.putInt(v);
        }
        return new Tensor(name, DType.I32, shape, b.flip());
    }

    static Tensor bytes(String name, DType dtype, long[] shape, int... values) {
        ByteBuffer b = le(values.length);
        for (int v : values) {
            b.put((byte) v);
        }
        return new Tensor(name, dtype, shape, b.flip());
    }

    static long[] shape(long... dims) {
        return dims;
    }

    static float[] randomFloats(Random random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    /** A small "model": two F32 tensors, one F16, one BF16, one F64 and an I64 counter. */
    static List<Tensor> randomModel(long seed) {
        Random random = new Random(seed);
        List<Tensor> tensors = new ArrayList<>();
        tensors.add(f32("conv.weight", shape(4, 3, 3, 3), randomFloats(random, 108)));
        tensors.add(f32("fc.bias", shape(10), randomFloats(random, 10)));
        short[] halves = new short[12];
        short[] bhalves = new short[12];
        for (int i = 0; i < 12; i++) {
            halves[i] = HalfFloats.doubleToF16(random.nextGaussian());
            bhalves[i] = HalfFloats.doubleToBf16(random.nextGaussian());
        }
        tensors.add(half("norm.weight", DType.F16, shape(12), halves));
        tensors.add(half("norm.bias", DType.BF16, shape(3, 4), bhalves));
        tensors.add(f64("scale", shape(), random.nextGaussian()));
        tensors.add(i64("norm.num_batches_tracked", shape(), 1000 + random.nextInt(100)));
        return tensors;
    }

    static Path writeModel(Path dir, String name, List<Tensor> tensors) {
        Path file = dir.resolve(name + ".safetensors");
        SafetensorsWriter.write(file, tensors, Map.of());
        return file;
    }

    static byte[] bytesOf(Tensor t) {
        ByteBuffer data = t.data();
        byte[] out = new byte[data.remaining()];
        data.get(out);
        return out;
    }

    static float[] floatsOf(Tensor t) {
        float[] out = new float[(int) t.elementCount()];
        t.data().asFloatBuffer().get(out);
        return out;
    }

    static String describe(Tensor t) {
        return t + Arrays.toString(bytesOf(t));
    }

    /**
     * The uniform average of {@code inputs} the way the evaluator builds it (SoupSums): a running
     * sum of all but the last, extended one checkpoint at a time under {@code workDir}, then
     * averaged with the last.
     */
    static void average(Path workDir, List<Path> inputs, java.io.OutputStream out) {
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("cannot average zero checkpoints");
        }
        try {
            Path sums = java.nio.file.Files.createTempDirectory(workDir, "sum");
            RunningSum sum = RunningSum.empty();
            for (int i = 0; i < inputs.size() - 1; i++) {
                sum = sum.add("c" + i, inputs.get(i), sums.resolve("sum-" + i + ".safetensors"));
            }
            sum.averageWith(inputs.get(inputs.size() - 1), out);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static byte[] average(Path workDir, List<Path> inputs) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        average(workDir, inputs, out);
        return out.toByteArray();
    }

    /** The same mean in one pass over all inputs, with the accumulator's own loop and any chunk size. */
    static byte[] averageInOnePass(List<Path> inputs, int chunkElements) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        List<SafetensorsReader> readers = new java.util.ArrayList<>();
        try {
            for (Path input : inputs) {
                readers.add(SafetensorsReader.open(input));
            }
            List<TensorSpec> specs = readers.get(0).tensors();
            SafetensorsWriter writer = SafetensorsWriter.open(out, specs, RunningSum.OUTPUT_METADATA);
            new ChunkedAccumulator(chunkElements).mean(readers, specs, readers.size(), writer);
            writer.finish();
        } finally {
            readers.forEach(SafetensorsReader::close);
        }
        return out.toByteArray();
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
