package io.souper.checkpoint;

import io.souper.errors.SouperException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bf16 and fp16 checkpoints average in fp64 and come back in their own dtype, bit for bit as PyTorch does it. */
class HalfPrecisionTest {

    @TempDir
    Path tmp;

    @Test
    void narrowingFromDoubleIsPyTorchsBitForBit() {
        Path file = tmp.resolve("narrow.safetensors");
        int count = CheckpointReference.run("narrow", file).get("count").asInt();
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            ByteBuffer x = reader.load("x").data();
            ByteBuffer bf16 = reader.load("bf16").data();
            ByteBuffer f16 = reader.load("f16").data();
            int directDiffers = 0;
            for (int i = 0; i < count; i++) {
                double v = x.getDouble(i * 8);
                assertThat(HalfFloats.doubleToBf16(v)).as("bf16 of %s (#%d)", v, i).isEqualTo(bf16.getShort(i * 2));
                assertThat(HalfFloats.doubleToF16(v)).as("f16 of %s (#%d)", v, i).isEqualTo(f16.getShort(i * 2));
                if (HalfFloats.nearestBf16(v) != bf16.getShort(i * 2)) {
                    directDiffers++;
                }
            }
            // the data holds near-ties on purpose: rounding the double directly would not match torch
            assertThat(directDiffers).isPositive();
        }
    }

    @Test
    void bf16AndF16AveragesEqualPyTorchsMeanBitForBit() throws IOException {
        for (String dtype : List.of("bf16", "f16")) {
            List<Path> inputs = new ArrayList<>();
            for (int seed = 1; seed <= 3; seed++) {
                Path dir = tmp.resolve(dtype + "-" + seed);
                CheckpointReference.run("make-sharded", dir, "--dtype", dtype, "--seed", seed, "--shards", 1);
                inputs.add(dir.resolve("model-00001-of-00001.safetensors"));
            }
            Path soup = tmp.resolve(dtype + "-soup.safetensors");
            try (OutputStream out = Files.newOutputStream(soup)) {
                averageThroughRunningSum(inputs, out);
            }
            try (SafetensorsReader reader = SafetensorsReader.open(soup)) {
                assertThat(reader.tensors()).allMatch(s -> s.dtype() == (dtype.equals("bf16") ? DType.BF16 : DType.F16));
            }
            List<Object> args = new ArrayList<>(List.of("check-mean", soup));
            args.addAll(inputs);
            JsonNode check = CheckpointReference.run(args.toArray());
            assertThat(check.get("tensors").asInt()).isEqualTo(23);
            assertThat(check.get("mismatched")).as(dtype).isEmpty();
            assertThat(check.get("extra")).isEmpty();

            // the running sum (what the evaluator uses for candidates) gives the same bytes
            RunningSum sum = RunningSum.empty()
                    .add("a", inputs.get(0), tmp.resolve(dtype + "-sum1.safetensors"))
                    .add("b", inputs.get(1), tmp.resolve(dtype + "-sum2.safetensors"));
            Path incremental = tmp.resolve(dtype + "-incremental.safetensors");
            try (OutputStream out = Files.newOutputStream(incremental)) {
                sum.averageWith(inputs.get(2), out);
            }
            assertThat(Files.readAllBytes(incremental)).isEqualTo(Files.readAllBytes(soup));
        }
    }

    /**
     * A half-precision run beside float32 ones (or fp16 beside bf16) is averaged in PyTorch's
     * promoted dtype, bit for bit, in either order, so an fp16 best checkpoint never freezes an
     * f32 soup; integers that differ are still refused.
     */
    @Test
    void mixedFloatDtypesAverageInThePromotedDtypeAsPyTorchDoes() throws IOException {
        Path bf = tmp.resolve("bf");
        Path half = tmp.resolve("half");
        Path single = tmp.resolve("single");
        CheckpointReference.run("make-sharded", bf, "--dtype", "bf16", "--seed", 1, "--shards", 1);
        CheckpointReference.run("make-sharded", half, "--dtype", "f16", "--seed", 2, "--shards", 1);
        CheckpointReference.run("make-sharded", single, "--dtype", "f32", "--seed", 3, "--shards", 1);
        Path bfFile = bf.resolve("model-00001-of-00001.safetensors");
        Path halfFile = half.resolve("model-00001-of-00001.safetensors");
        Path singleFile = single.resolve("model-00001-of-00001.safetensors");
        for (List<Path> inputs : List.of(List.of(halfFile, singleFile), List.of(singleFile, halfFile),
                List.of(halfFile, bfFile, singleFile))) {
            Path soup = tmp.resolve("mixed-" + System.nanoTime() + ".safetensors");
            try (OutputStream out = Files.newOutputStream(soup)) {
                averageThroughRunningSum(inputs, out);
            }
            try (SafetensorsReader reader = SafetensorsReader.open(soup)) {
                assertThat(reader.tensors()).as("%s", inputs).allMatch(s -> s.dtype() == DType.F32);
            }
            List<Object> args = new ArrayList<>(List.of("check-mean", soup));
            args.addAll(inputs);
            JsonNode check = CheckpointReference.run(args.toArray());
            assertThat(check.get("mismatched")).as("%s", inputs).isEmpty();
            assertThat(check.get("dtypes").toString()).isEqualTo("[\"torch.float32\"]");
        }
        assertThat(DType.F16.promotedWith(DType.F64)).contains(DType.F64);
        assertThat(DType.I32.promotedWith(DType.I64)).isEmpty();
    }

    @Test
    void halfPrecisionWidensExactlyToFloat32ForTheEngine() {
        short[] bits = {0x3f80, (short) 0xbfc0, 0x0001, 0x7f7f};
        Tensor bf = TestTensors.half("b", DType.BF16, new long[] {2, 2}, bits);
        Tensor widened = TensorConversions.toFloat32(bf);
        assertThat(widened.dtype()).isEqualTo(DType.F32);
        assertThat(widened.shape()).containsExactly(2, 2);
        assertThat(widened.data().isDirect()).isTrue();
        for (int i = 0; i < bits.length; i++) {
            assertThat(widened.data().getFloat(i * 4)).isEqualTo(Float.intBitsToFloat((bits[i] & 0xffff) << 16));
        }
        short[] halves = {0x3c00, (short) 0xc000, 0x0001, 0x7bff};
        Tensor f16 = TensorConversions.toFloat32(TestTensors.half("h", DType.F16, new long[] {4}, halves));
        for (int i = 0; i < halves.length; i++) {
            assertThat((double) f16.data().getFloat(i * 4)).isEqualTo(HalfFloats.f16ToDouble(halves[i]));
        }
        assertThatThrownBy(() -> TensorConversions.toFloat32(TestTensors.i64("n", new long[] {1}, 3)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** The evaluator's path: a running sum of all but the last, then the mean with the last. */
    private void averageThroughRunningSum(List<Path> inputs, OutputStream out) {
        RunningSum sum = RunningSum.empty();
        for (int i = 0; i < inputs.size() - 1; i++) {
            sum = sum.add("ingredient-" + i, inputs.get(i), tmp.resolve("sum-" + i + "-" + System.nanoTime() + ".safetensors"));
        }
        sum.averageWith(inputs.get(inputs.size() - 1), out);
    }
}
