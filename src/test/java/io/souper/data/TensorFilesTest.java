package io.souper.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.souper.checkpoint.DType;
import io.souper.checkpoint.SafetensorsWriter;
import io.souper.checkpoint.Tensor;
import io.souper.errors.SouperException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorFilesTest {

    private static final InputSpec TOKENS = new InputSpec(List.of("input_ids", "attention_mask"), -100L);

    @TempDir
    Path tmp;

    private static Tensor longs(String name, long[] shape, long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return new Tensor(name, DType.I64, shape, b.flip());
    }

    private static Tensor floats(String name, long[] shape, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return new Tensor(name, DType.F32, shape, b.flip());
    }

    /** Two sequences of 3 tokens, the second padded after 1. */
    private Path tokens(String file, long first) {
        Path path = tmp.resolve(file);
        SafetensorsWriter.write(path, List.of(
                longs("input_ids", new long[] {2, 3}, first, 2, 3, 4, 0, 0),
                floats("attention_mask", new long[] {2, 3}, 1, 1, 1, 1, 0, 0),
                longs("targets", new long[] {2, 3}, 2, 3, 9, 5, -100, -100)), Map.of());
        return path;
    }

    @Test
    void namedInputsAreReadInTheDeclaredOrderWithTheirOwnDtypes() {
        TensorSplit split = DatasetLoader.load(DatasetUri.of(tokens("held.safetensors", 1)), TOKENS);

        assertThat(split.name()).isEqualTo("held");
        assertThat(split.inputs()).extracting(InputTensor::name).containsExactly("input_ids", "attention_mask");
        assertThat(split.inputs()).extracting(InputTensor::dtype).containsExactly(DType.I64, DType.F32);
        assertThat(split.size()).isEqualTo(2);
        assertThat(split.targetsPerExample()).isEqualTo(3);
        assertThat(split.scoredTargets()).containsExactly(2, 3, 9, 5);
        assertThat(split.scored(4)).isFalse();
        assertThat(new InputSpec(List.of("attention_mask", "input_ids"), -100L).forwardInputs())
                .containsExactly("attention_mask", "input_ids");
    }

    @Test
    void shardsConcatenateAlongTheFirstDimensionAndRangesSelectExamples() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("shards"));
        Files.move(tokens("a.safetensors", 1), dir.resolve("a.safetensors"));
        Files.move(tokens("b.safetensors", 7), dir.resolve("b.safetensors"));

        TensorSplit all = DatasetLoader.load(DatasetUri.of(dir), TOKENS);
        assertThat(all.size()).isEqualTo(4);
        assertThat(all.inputs().get(0).shape()).containsExactly(4, 3);
        assertThat(ByteBuffer.wrap(all.inputs().get(0).data()).order(ByteOrder.LITTLE_ENDIAN).getLong(6 * 8))
                .as("first token of shard b").isEqualTo(7);

        TensorSplit second = DatasetLoader.load(DatasetUri.parse(java.net.URI.create(dir.toUri() + "?from=2&to=3")),
                TOKENS);
        assertThat(second.size()).isEqualTo(1);
        assertThat(second.targets()).containsExactly(2, 3, 9);
    }

    @Test
    void imageSplitsStillReadAsOneInputsTensorWithLabels() {
        LabeledImages images = new LabeledImages("img", new float[] {0.5f, -1f, 2f, 3f}, new int[] {1, 0}, 1, 1, 2);
        Path file = tmp.resolve("img.safetensors");
        DatasetFiles.write(file, images);

        TensorSplit split = DatasetLoader.load(DatasetUri.of(file), InputSpec.IMAGES);
        assertThat(split).isEqualTo(TensorSplit.of(images));
        assertThat(split.inputs()).singleElement().satisfies(t -> {
            assertThat(t.name()).isEqualTo("inputs");
            assertThat(t.shape()).containsExactly(2, 1, 1, 2);
        });
    }

    @Test
    void whatCannotBeScoredIsABadDatasetNamingTheProblem() {
        Path file = tokens("held.safetensors", 1);
        assertThatThrownBy(() -> DatasetLoader.load(DatasetUri.of(file), new InputSpec(List.of("input_ids"), null)))
                .isInstanceOf(SouperException.class)
                .satisfies(e -> assertThat(((SouperException) e).code()).isEqualTo(DatasetErrorCode.BAD_DATASET))
                .hasMessageContaining("target -100").hasMessageContaining("no ignore index");
        assertThatThrownBy(() -> DatasetLoader.load(DatasetUri.of(file), new InputSpec(List.of("token_type_ids"), -100L)))
                .isInstanceOf(SouperException.class).hasMessageContaining("'token_type_ids' is not in the file");

        Path ragged = tmp.resolve("ragged.safetensors");
        SafetensorsWriter.write(ragged, List.of(longs("input_ids", new long[] {2, 2}, 1, 2, 3, 4),
                longs("targets", new long[] {3}, 1, 2, 3)), Map.of());
        assertThatThrownBy(() -> DatasetLoader.load(DatasetUri.of(ragged), new InputSpec(List.of("input_ids"), null)))
                .isInstanceOf(SouperException.class).hasMessageContaining("has 2 examples, the targets 3");

        Path nan = tmp.resolve("nan.safetensors");
        SafetensorsWriter.write(nan, List.of(floats("x", new long[] {1, 2}, 1, Float.NaN),
                longs("labels", new long[] {1}, 0)), Map.of());
        assertThatThrownBy(() -> DatasetLoader.load(DatasetUri.of(nan), new InputSpec(List.of("x"), null)))
                .isInstanceOf(SouperException.class).hasMessageContaining("NaN");

        assertThatThrownBy(() -> DatasetLoader.load(DatasetUri.parse(java.net.URI.create(
                "file:///usr/share/datasets/fashion-mnist?split=t10k")), TOKENS))
                .isInstanceOf(SouperException.class).hasMessageContaining("holds images only");
        assertThatThrownBy(() -> new InputSpec(new ArrayList<>(List.of("a", "a")), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("distinct");
    }
}
