package io.souper.checkpoint;

import io.souper.errors.SouperException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunningSumTest {

    @TempDir
    Path dir;

    /** All inputs in one pass of the accumulator: what a sum extended one by one must reproduce. */
    private static byte[] averageFromScratch(List<Path> inputs) {
        return TestTensors.averageInOnePass(inputs, ChunkedAccumulator.DEFAULT_CHUNK_ELEMENTS);
    }

    private static byte[] averageWith(RunningSum sum, Path candidate) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        sum.averageWith(candidate, out);
        return out.toByteArray();
    }

    /**
     * Random models plus an F64 tensor of values spread over many magnitudes: fp64 addition
     * is not associative on those, so any change of summation order shows up in the bytes
     * (in F32 tensors it would almost always be rounded away).
     */
    private List<Path> models(int n) {
        List<Path> paths = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<Tensor> tensors = new ArrayList<>(TestTensors.randomModel(1000 + i));
            Random random = new Random(i);
            double[] spread = new double[500];
            for (int j = 0; j < spread.length; j++) {
                spread[j] = random.nextGaussian() * Math.pow(10, random.nextInt(12) - 6);
            }
            tensors.add(TestTensors.f64("spread", new long[] {spread.length}, spread));
            paths.add(TestTensors.writeModel(dir, "ckpt" + i, tensors));
        }
        return paths;
    }

    @Test
    void incrementalCandidatesHaveExactlyTheBytesOfAFromScratchAverage() {
        List<Path> ckpts = models(6);
        RunningSum sum = RunningSum.empty();
        for (int k = 0; k < ckpts.size(); k++) {
            Path candidate = ckpts.get(k);
            List<Path> soupPlusCandidate = new ArrayList<>(ckpts.subList(0, k));
            soupPlusCandidate.add(candidate);
            assertThat(averageWith(sum, candidate)).as("soup of %d + candidate", k)
                    .isEqualTo(averageFromScratch(soupPlusCandidate));

            sum = sum.add("ckpt" + k, candidate, dir.resolve("sum-" + k + ".safetensors"));
            ByteArrayOutputStream soup = new ByteArrayOutputStream();
            sum.average(soup);
            assertThat(soup.toByteArray()).as("soup of %d", k + 1).isEqualTo(averageFromScratch(soupPlusCandidate));
        }
        assertThat(sum.count()).isEqualTo(6);
        assertThat(sum.ingredientIds()).containsExactly("ckpt0", "ckpt1", "ckpt2", "ckpt3", "ckpt4", "ckpt5");
    }

    @Test
    void theSumLivesOnDiskInF64AndI64AndReopens() {
        List<Path> ckpts = models(3);
        Path file = dir.resolve("sum.safetensors");
        RunningSum sum = RunningSum.empty().add("a", ckpts.get(0), file).add("b", ckpts.get(1), file);
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertThat(reader.spec("conv.weight").dtype()).isEqualTo(DType.F64);
            assertThat(reader.spec("norm.weight").dtype()).isEqualTo(DType.F64);
            assertThat(reader.spec("norm.num_batches_tracked").dtype()).isEqualTo(DType.I64);
        }
        RunningSum reopened = RunningSum.open(file);
        assertThat(reopened.ingredientIds()).containsExactly("a", "b");
        assertThat(reopened.tensors()).isEqualTo(sum.tensors());
        assertThat(reopened.tensors()).extracting(TensorSpec::dtype).contains(DType.F16, DType.BF16, DType.F32, DType.I64);
        Path candidate = ckpts.get(2);
        assertThat(averageWith(reopened, candidate)).isEqualTo(averageFromScratch(List.of(ckpts.get(0), ckpts.get(1), candidate)));
    }

    @Test
    void addLeavesTheOldSumUntouched() throws Exception {
        List<Path> ckpts = models(2);
        Path first = dir.resolve("first.safetensors");
        RunningSum one = RunningSum.empty().add("a", ckpts.get(0), first);
        byte[] before = Files.readAllBytes(first);
        one.add("b", ckpts.get(1), dir.resolve("second.safetensors"));
        assertThat(Files.readAllBytes(first)).isEqualTo(before);
        assertThat(one.count()).isEqualTo(1);
        assertThat(dir.resolve("second.safetensors.tmp")).doesNotExist();
    }

    @Test
    void aCandidateThatDoesNotFitTheSoupIsRefused() {
        Path a = TestTensors.writeModel(dir, "a", List.of(TestTensors.f32("w", new long[] {2}, 1, 2)));
        Path other = TestTensors.writeModel(dir, "other", List.of(TestTensors.f32("w", new long[] {3}, 1, 2, 3)));
        RunningSum sum = RunningSum.empty().add("a", a, dir.resolve("s.safetensors"));
        assertThatThrownBy(() -> averageWith(sum, other))
                .isInstanceOfSatisfying(SouperException.class, e -> assertThat(e.code()).isEqualTo(CheckpointErrorCode.SHAPE_MISMATCH));
        Path nan = TestTensors.writeModel(dir, "nan", List.of(TestTensors.f32("w", new long[] {2}, Float.NaN, 2)));
        assertThatThrownBy(() -> sum.add("nan", nan, dir.resolve("s2.safetensors")))
                .isInstanceOfSatisfying(SouperException.class, e -> assertThat(e.code()).isEqualTo(CheckpointErrorCode.NON_FINITE_WEIGHTS));
        assertThat(dir.resolve("s2.safetensors")).doesNotExist();
        assertThat(dir.resolve("s2.safetensors.tmp")).doesNotExist();
    }

    @Test
    void anOrdinaryCheckpointIsNotASumFile() {
        Path plain = TestTensors.writeModel(dir, "plain", TestTensors.randomModel(3));
        assertThatThrownBy(() -> RunningSum.open(plain))
                .isInstanceOfSatisfying(SouperException.class, e -> assertThat(e.code()).isEqualTo(CheckpointErrorCode.BAD_HEADER))
                .hasMessageContaining("not a Souper running-sum file");
        Path forged = dir.resolve("forged.safetensors");
        SafetensorsWriter.write(forged, List.of(TestTensors.f32("w", new long[] {1}, 1f)), Map.of(
                RunningSum.FORMAT_KEY, "1", RunningSum.INGREDIENTS_KEY, "[\"a\"]", RunningSum.DTYPES_KEY, "{\"w\":\"F32\"}"));
        assertThatThrownBy(() -> RunningSum.open(forged)).hasMessageContaining("a sum of F32 is kept as F64");
    }

    @Test
    void theEmptySumHasNoAverage() {
        assertThatThrownBy(() -> RunningSum.empty().average(new ByteArrayOutputStream()))
                .isInstanceOf(IllegalStateException.class);
    }
}
