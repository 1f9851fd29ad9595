package io.souper.data;

import io.souper.errors.SouperException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.souper.checkpoint.DType;
import io.souper.checkpoint.SafetensorsWriter;
import io.souper.checkpoint.Tensor;
import io.souper.testsupport.TorchReference;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetFilesTest {

    private static final Path DIR = FashionMnist.DEBIAN_DIRECTORY;

    @TempDir
    Path tmp;

    private static LabeledImages t10k(int from, int to) {
        return FashionMnist.load(DIR, "t10k", from, to, PixelNormalisation.FASHION_MNIST);
    }

    @Test
    void writeThenReadGivesTheSameSplit() {
        LabeledImages slice = t10k(0, 300);
        Path file = tmp.resolve("heldout.safetensors");
        DatasetFiles.write(file, slice);
        LabeledImages back = DatasetFiles.read(file);
        assertThat(back.inputs()).isEqualTo(slice.inputs());
        assertThat(back.labels()).isEqualTo(slice.labels());
        assertThat(back.channels()).isEqualTo(1);
        assertThat(back.height()).isEqualTo(28);
        assertThat(back.name()).isEqualTo("heldout");
    }

    @Test
    void aDirectoryOfShardsIsConcatenatedInNameOrder() {
        Path dir = tmp.resolve("shards");
        dir.toFile().mkdirs();
        DatasetFiles.write(dir.resolve("part-2.safetensors"), t10k(200, 250));
        DatasetFiles.write(dir.resolve("part-0.safetensors"), t10k(0, 120));
        DatasetFiles.write(dir.resolve("part-1.safetensors"), t10k(120, 200));
        LabeledImages all = DatasetFiles.read(dir);
        LabeledImages expected = t10k(0, 250);
        assertThat(all.inputs()).isEqualTo(expected.inputs());
        assertThat(all.labels()).isEqualTo(expected.labels());
        assertThat(all.name()).isEqualTo("shards");
    }

    @Test
    void u8PixelsWrittenByPythonAreNormalisedLikeTheIdxReader() {
        Path file = tmp.resolve("u8.safetensors");
        TorchReference.run("write-u8-dataset", "--dir", DIR.toString(), "--split", "t10k", "--start", "40",
                "--end", "140", "--out", file.toString());
        LabeledImages fromFile = DatasetFiles.read(file);
        LabeledImages fromIdx = t10k(40, 140);
        assertThat(fromFile.inputs()).isEqualTo(fromIdx.inputs());
        assertThat(fromFile.labels()).isEqualTo(fromIdx.labels());

        // The file's own normalisation metadata wins over the default ...
        Path custom = tmp.resolve("u8-custom.safetensors");
        TorchReference.run("write-u8-dataset", "--dir", DIR.toString(), "--split", "t10k", "--start", "40",
                "--end", "140", "--out", custom.toString(), "--mean", "0.5", "--std", "0.25");
        LabeledImages customised = DatasetFiles.read(custom);
        // ... pixel 0 becomes (0 - 0.5) / 0.25 = -2.
        assertThat(customised.inputs()[0]).isCloseTo(-2f, within(1e-6f));
        // ... and an explicit normalisation wins over the metadata.
        LabeledImages overridden = DatasetFiles.read(custom, PixelNormalisation.FASHION_MNIST);
        assertThat(overridden.inputs()).isEqualTo(fromIdx.inputs());
    }

    @Test
    void malformedDatasetFilesAreClearErrors() throws IOException {
        Path noLabels = tmp.resolve("no-labels.safetensors");
        SafetensorsWriter.write(noLabels, List.of(f32("inputs", new long[] {2, 1, 2, 2}, new float[8])), Map.of());
        assertBad(noLabels, "needs tensors 'inputs' and 'labels'");

        Path countMismatch = tmp.resolve("count.safetensors");
        SafetensorsWriter.write(countMismatch, List.of(f32("inputs", new long[] {2, 1, 2, 2}, new float[8]),
                i64("labels", 0, 1, 2)), Map.of());
        assertBad(countMismatch, "3 labels for 2 images");

        Path negative = tmp.resolve("negative.safetensors");
        SafetensorsWriter.write(negative, List.of(f32("inputs", new long[] {2, 1, 2, 2}, new float[8]),
                i64("labels", 0, -1)), Map.of());
        assertBad(negative, "label -1 of image 1");

        Path nan = tmp.resolve("nan.safetensors");
        float[] values = new float[8];
        values[5] = Float.NaN;
        SafetensorsWriter.write(nan, List.of(f32("inputs", new long[] {2, 1, 2, 2}, values), i64("labels", 0, 1)),
                Map.of());
        assertBad(nan, "flat index 5");

        Path half = tmp.resolve("half.safetensors");
        SafetensorsWriter.write(half, List.of(new Tensor("inputs", DType.F16, new long[] {1, 1, 2, 2},
                ByteBuffer.allocate(8)), i64("labels", 0)), Map.of());
        assertBad(half, "F32 (normalised) or U8");

        Path garbage = Files.writeString(tmp.resolve("garbage.safetensors"), "no header here");
        assertThatThrownBy(() -> DatasetFiles.read(garbage))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(DatasetErrorCode.BAD_DATASET))
                .hasMessageContaining("garbage.safetensors");
    }

    @Test
    void shardsMustShareTheirImageShape() {
        Path dir = tmp.resolve("mixed");
        dir.toFile().mkdirs();
        DatasetFiles.write(dir.resolve("a.safetensors"), t10k(0, 10));
        DatasetFiles.write(dir.resolve("b.safetensors"),
                new LabeledImages("b", new float[2 * 3 * 4 * 4], new int[] {0, 1}, 3, 4, 4));
        assertThatThrownBy(() -> DatasetFiles.read(dir))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(DatasetErrorCode.BAD_DATASET))
                .hasMessageContaining("3x4x4").hasMessageContaining("1x28x28");
    }

    @Test
    void missingFilesAndEmptyDirectories() {
        assertThatThrownBy(() -> DatasetFiles.read(tmp.resolve("absent.safetensors")))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(DatasetErrorCode.FILE_NOT_FOUND));
        assertThatThrownBy(() -> DatasetFiles.read(tmp))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(DatasetErrorCode.FILE_NOT_FOUND))
                .hasMessageContaining("no *.safetensors shards");
    }

    private static void assertBad(Path file, String message) {
        assertThatThrownBy(() -> DatasetFiles.read(file))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(DatasetErrorCode.BAD_DATASET))
                .hasMessageContaining(file.getFileName().toString()).hasMessageContaining(message);
    }

    static Tensor f32(String name, long[] shape, float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        return new Tensor(name, DType.F32, shape, bytes);
    }

    static Tensor i64(String name, long... values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asLongBuffer().put(values);
        return new Tensor(name, DType.I64, new long[] {values.length}, bytes);
    }
}
