package io.souper.checkpoint;

import io.souper.errors.SouperException;
import static io.souper.checkpoint.TestTensors.f32;
import static io.souper.checkpoint.TestTensors.shape;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The uniform soup as the evaluator builds it: a {@link RunningSum} of the soup's ingredients
 * averaged with the checkpoint tried (see {@link TestTensors#average}).
 */
class AveragingTest {

    @TempDir
    Path dir;

    private Path model(String name, Tensor... tensors) {
        return TestTensors.writeModel(dir, name, List.of(tensors));
    }

    private byte[] average(List<Path> inputs) {
        return TestTensors.average(dir, inputs);
    }

    private SafetensorsReader readBack(byte[] bytes) throws Exception {
        return SafetensorsReader.open(Files.write(Files.createTempFile(dir, "avg", ".safetensors"), bytes));
    }

    @Test
    void everyTensorIsTheElementWiseMeanRoundedToItsDtype() throws Exception {
        Path a = model("a", f32("w", shape(3), 1f, 2f, 0.1f), TestTensors.f64("d", shape(1), 1.0),
                TestTensors.half("h", DType.F16, shape(1), HalfFloats.doubleToF16(1.0)),
                TestTensors.half("b", DType.BF16, shape(1), HalfFloats.doubleToBf16(1.0)),
                TestTensors.i64("steps", shape(2), 10, -3), TestTensors.i32("i", shape(1), 7),
                TestTensors.bytes("u", DType.U8, shape(1), 255), TestTensors.bytes("mask", DType.BOOL, shape(2), 1, 1));
        Path b = model("b", f32("w", shape(3), 2f, 4f, 0.2f), TestTensors.f64("d", shape(1), 2.0),
                TestTensors.half("h", DType.F16, shape(1), HalfFloats.doubleToF16(2.0)),
                TestTensors.half("b", DType.BF16, shape(1), HalfFloats.doubleToBf16(2.0)),
                TestTensors.i64("steps", shape(2), 11, -4), TestTensors.i32("i", shape(1), 8),
                TestTensors.bytes("u", DType.U8, shape(1), 254), TestTensors.bytes("mask", DType.BOOL, shape(2), 1, 0));

        try (SafetensorsReader avg = readBack(average(List.of(a, b)))) {
            assertThat(TestTensors.floatsOf(avg.load("w"))).containsExactly(1.5f, 3f, (float) ((0.1f + (double) 0.2f) / 2));
            assertThat(avg.load("d").data().getDouble(0)).isEqualTo(1.5);
            assertThat(HalfFloats.f16ToDouble(avg.load("h").data().getShort(0))).isEqualTo(1.5);
            assertThat(HalfFloats.bf16ToDouble(avg.load("b").data().getShort(0))).isEqualTo(1.5);
            // integers: floor of the exact mean, also for negatives: floor(-3.5) = -4
            assertThat(avg.load("steps").data().getLong(0)).isEqualTo(10);
            assertThat(avg.load("steps").data().getLong(8)).isEqualTo(-4);
            assertThat(avg.load("i").data().getInt(0)).isEqualTo(7);
            assertThat(avg.load("u").data().get(0) & 0xff).isEqualTo(254);
            assertThat(avg.load("mask")).isEqualTo(TestTensors.bytes("mask", DType.BOOL, shape(2), 1, 0));
            assertThat(avg.metadata()).containsEntry("format", "pt");
        }
    }

    @Test
    void theSameInputsAlwaysGiveTheSameBytesWhateverTheChunkingOrTheWayTheSumWasBuilt() {
        List<Path> inputs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            inputs.add(TestTensors.writeModel(dir, "m" + i, TestTensors.randomModel(100 + i)));
        }
        byte[] reference = average(inputs);
        assertThat(average(inputs)).isEqualTo(reference);
        for (int chunk : new int[] {1, 7, 64, ChunkedAccumulator.DEFAULT_CHUNK_ELEMENTS}) {
            assertThat(TestTensors.averageInOnePass(inputs, chunk)).as("one pass, chunk %d", chunk)
                    .isEqualTo(reference);
        }
    }

    @Test
    void averagingOneCheckpointReproducesItsTensors() throws Exception {
        List<Tensor> model = TestTensors.randomModel(5);
        Path only = TestTensors.writeModel(dir, "only", model);
        try (SafetensorsReader avg = readBack(average(List.of(only)))) {
            for (Tensor t : model) {
                assertThat(avg.load(t.name())).isEqualTo(t);
            }
        }
    }

    @Test
    void mismatchedStateDictsAreErrorsNamingTheKey() {
        Path a = model("a", f32("w", shape(2), 1, 2), f32("v", shape(1), 1));
        Path missing = model("missing", f32("w", shape(2), 1, 2));
        Path extra = model("extra", f32("w", shape(2), 1, 2), f32("v", shape(1), 1), f32("x", shape(1), 1));
        Path reshaped = model("reshaped", f32("w", shape(1, 2), 1, 2), f32("v", shape(1), 1));
        Path retyped = model("retyped", f32("w", shape(2), 1, 2), TestTensors.i64("v", shape(1), 1));

        assertThatThrownBy(() -> average(List.of(a, missing)))
                .isInstanceOfSatisfying(SouperException.class, e -> assertThat(e.code()).isEqualTo(CheckpointErrorCode.KEY_MISMATCH))
                .hasMessageContaining("missing 'v'").hasMessageContaining(missing.toString());
        assertThatThrownBy(() -> average(List.of(a, extra)))
                .hasMessageContaining("unexpected 'x'");
        assertThatThrownBy(() -> average(List.of(a, reshaped)))
                .isInstanceOfSatisfying(SouperException.class, e -> assertThat(e.code()).isEqualTo(CheckpointErrorCode.SHAPE_MISMATCH))
                .hasMessageContaining("tensor 'w' has shape [1, 2]");
        assertThatThrownBy(() -> average(List.of(a, retyped)))
                .isInstanceOfSatisfying(SouperException.class, e -> assertThat(e.code()).isEqualTo(CheckpointErrorCode.DTYPE_MISMATCH))
                .hasMessageContaining("tensor 'v' is I64");
    }

    @Test
    void nanOrInfinityIsNonFiniteWeightsNamingFileTensorAndElement() {
        Path good = model("good", f32("w", shape(3), 1, 2, 3));
        Path nan = model("nan", f32("w", shape(3), 1, Float.NaN, 3));
        Path inf = model("inf", TestTensors.half("w", DType.F16, shape(2), (short) 0x3c00, (short) 0xfc00));
        Path halfGood = model("halfgood", TestTensors.half("w", DType.F16, shape(2), (short) 0x3c00, (short) 0x3c00));
        assertThatThrownBy(() -> average(List.of(good, nan)))
                .isInstanceOfSatisfying(SouperException.class, e -> assertThat(e.code()).isEqualTo(CheckpointErrorCode.NON_FINITE_WEIGHTS))
                .hasMessageContaining(nan + ": tensor 'w' has NaN at element 1");
        assertThatThrownBy(() -> average(List.of(halfGood, inf)))
                .hasMessageContaining(inf + ": tensor 'w' has -Infinity at element 1");
        Path huge = model("huge", TestTensors.f64("w", shape(1), Double.MAX_VALUE));
        assertThatThrownBy(() -> average(List.of(huge, huge)))
                .isInstanceOfSatisfying(SouperException.class, e -> assertThat(e.code()).isEqualTo(CheckpointErrorCode.NON_FINITE_WEIGHTS))
                .hasMessageContaining("fp64 sum of tensor 'w' overflows");
    }

    @Test
    void integerSumsThatOverflowAreRefused() {
        Path big = model("big", TestTensors.i64("n", shape(1), Long.MAX_VALUE));
        assertThatThrownBy(() -> average(List.of(big, big)))
                .isInstanceOfSatisfying(SouperException.class, e -> assertThat(e.code()).isEqualTo(CheckpointErrorCode.INTEGER_OVERFLOW));
    }

    @Test
    void bigTensorsAveragedInManyChunksMatchAPlainLoop() throws Exception {
        // the accumulator's loop with a chunk that divides nothing, against a plain loop in double
        Random random = new Random(11);
        float[][] values = new float[3][];
        List<Path> inputs = new ArrayList<>();
        for (int m = 0; m < 3; m++) {
            values[m] = TestTensors.randomFloats(random, 10_000);
            inputs.add(model("big" + m, f32("w", shape(100, 100), values[m])));
        }
        try (SafetensorsReader avg = readBack(TestTensors.averageInOnePass(inputs, 333))) {
            float[] got = TestTensors.floatsOf(avg.load("w"));
            for (int i = 0; i < got.length; i++) {
                double sum = 0;
                for (float[] v : values) {
                    sum += v[i];
                }
                assertThat(got[i]).isEqualTo((float) (sum / 3));
            }
        }
    }
}
