package io.souper.checkpoint.sharded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.souper.checkpoint.CheckpointErrorCode;
import io.souper.errors.ErrorCode;
import io.souper.errors.SouperException;
import io.souper.checkpoint.DType;
import io.souper.checkpoint.FileBlobStore;
import io.souper.checkpoint.SafetensorsReader;
import io.souper.checkpoint.SafetensorsWriter;
import io.souper.checkpoint.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Index parsing and shard/index agreement on local files: every refusal has its reason code. */
class ShardedCheckpointTest {

    @TempDir
    Path tmp;

    private static final String A = "model-00001-of-00002.safetensors";
    private static final String B = "model-00002-of-00002.safetensors";

    private static Tensor f32(String name, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return new Tensor(name, DType.F32, new long[] {values.length}, b.flip());
    }

    /** Two shards: a.weight + a.bias in A, b.weight in B (28 bytes of tensors). */
    private Path checkpoint(String name, String index) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        SafetensorsWriter.write(dir.resolve(A), List.of(f32("a.weight", 1, 2, 3), f32("a.bias", 4)), Map.of("format", "pt"));
        SafetensorsWriter.write(dir.resolve(B), List.of(f32("b.weight", 5, 6, 7)), Map.of("format", "pt"));
        Files.writeString(dir.resolve(ShardIndex.INDEX_FILE), index, StandardCharsets.UTF_8);
        return dir;
    }

    private static String index(String total, String weightMap) {
        return "{\"metadata\": {\"total_size\": " + total + "}, \"weight_map\": {" + weightMap + "}}";
    }

    private static final String GOOD_MAP = "\"a.weight\": \"" + A + "\", \"a.bias\": \"" + A + "\", \"b.weight\": \"" + B + "\"";

    private ErrorCode codeOf(Path dir) {
        try (FileBlobStore store = new FileBlobStore(List.of(tmp))) {
            try (ShardedCheckpoint c = ShardedCheckpoint.open(store, dir.toUri().toString())) {
                return null;
            } catch (SouperException e) {
                return e.code();
            }
        }
    }

    @Test
    void aConsistentShardedCheckpointOpensAndAveragesShardByShard() throws IOException {
        Path one = checkpoint("one", index("28", GOOD_MAP));
        Path two = checkpoint("two", index("28", GOOD_MAP));
        try (FileBlobStore store = new FileBlobStore(List.of(tmp));
             ShardedCheckpoint a = ShardedCheckpoint.open(store, one.toUri().toString());
             ShardedCheckpoint b = ShardedCheckpoint.open(store, two.resolve(ShardIndex.INDEX_FILE).toUri().toString())) {
            assertThat(a.shards()).containsExactly(A, B);
            assertThat(a.tensors()).extracting(t -> t.name()).containsExactly("a.bias", "a.weight", "b.weight");
            assertThat(a.fileUris()).containsOnlyKeys(A, B, ShardIndex.INDEX_FILE);
            SoupFiles soup = new ShardedAverager().average(List.of(a, b), tmp.resolve("soup"));
            assertThat(soup.files()).containsOnlyKeys(A, B, ShardIndex.INDEX_FILE);
            try (ShardedCheckpoint back = ShardedCheckpoint.open(store, soup.directory().toUri().toString())) {
                assertThat(back.index().shardSha256()).containsOnlyKeys(A, B);
                assertThat(CheckpointHashes.verify(store, back, soup.sha256())).isEqualTo(soup.files());
                assertThat(back.readerOf("b.weight").load("b.weight")).isEqualTo(f32("b.weight", 5, 6, 7));
                assertThat(back.index().totalSize()).hasValue(28);
            }
        }
    }

    @Test
    void eachDisagreementBetweenIndexAndShardsHasItsOwnCode() throws IOException {
        assertThat(codeOf(checkpoint("ok", index("28", GOOD_MAP)))).isNull();
        assertThat(codeOf(checkpoint("twice", index("28", GOOD_MAP + ", \"a.bias\": \"" + B + "\""))))
                .isEqualTo(CheckpointErrorCode.DUPLICATE_TENSOR);
        Path missing = checkpoint("missing", index("28", GOOD_MAP));
        Files.delete(missing.resolve(B));
        assertThat(codeOf(missing)).isEqualTo(CheckpointErrorCode.SHARD_MISSING);
        assertThat(codeOf(checkpoint("wrong-shard", index("28",
                "\"a.weight\": \"" + A + "\", \"a.bias\": \"" + B + "\", \"b.weight\": \"" + B + "\""))))
                .isEqualTo(CheckpointErrorCode.SHARD_MISMATCH);
        assertThat(codeOf(checkpoint("unnamed", index("28", "\"a.weight\": \"" + A + "\", \"b.weight\": \"" + B + "\""))))
                .isEqualTo(CheckpointErrorCode.SHARD_MISMATCH);
        assertThat(codeOf(checkpoint("size", index("29", GOOD_MAP)))).isEqualTo(CheckpointErrorCode.SHARD_MISMATCH);
        assertThat(codeOf(checkpoint("escape", index("28", GOOD_MAP + ", \"x\": \"../one/" + A + "\""))))
                .isEqualTo(CheckpointErrorCode.BAD_INDEX);
        assertThat(codeOf(checkpoint("not-json", "{\"weight_map\": {")))
                .isEqualTo(CheckpointErrorCode.BAD_INDEX);
        assertThat(codeOf(checkpoint("trailing", index("28", GOOD_MAP) + " {}")))
                .isEqualTo(CheckpointErrorCode.BAD_INDEX);
        assertThat(codeOf(checkpoint("no-map", "{\"metadata\": {}}"))).isEqualTo(CheckpointErrorCode.BAD_INDEX);
    }

    @Test
    void mixedFloatDtypesAcrossShardedIngredientsAverageInThePromotedDtype() throws IOException {
        Path one = checkpoint("f32", index("28", GOOD_MAP));
        Path dir = Files.createDirectories(tmp.resolve("f64"));
        SafetensorsWriter.write(dir.resolve(A), List.of(f32("a.weight", 1, 2, 3), f32("a.bias", 4)), Map.of("format", "pt"));
        ByteBuffer d = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putDouble(5).putDouble(6).putDouble(7).flip();
        SafetensorsWriter.write(dir.resolve(B), List.of(new Tensor("b.weight", DType.F64, new long[] {3}, d)),
                Map.of("format", "pt"));
        Files.writeString(dir.resolve(ShardIndex.INDEX_FILE), index("40", GOOD_MAP));
        try (FileBlobStore store = new FileBlobStore(List.of(tmp));
             ShardedCheckpoint a = ShardedCheckpoint.open(store, one.toUri().toString());
             ShardedCheckpoint b = ShardedCheckpoint.open(store, dir.toUri().toString())) {
            // b.weight is F64 in the second: the soup keeps the first's shard layout, b.weight in F64
            SoupFiles soup = new ShardedAverager().average(List.of(a, b), tmp.resolve("mixed"));
            try (SafetensorsReader shard = SafetensorsReader.open(soup.directory().resolve(B))) {
                Tensor weight = shard.load("b.weight");
                assertThat(weight.dtype()).isEqualTo(DType.F64);
                ByteBuffer got = weight.data().order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < 3; i++) {
                    assertThat(got.getDouble(i * 8)).isEqualTo(5.0 + i); // (5+i as F32 + 5+i as F64) / 2
                }
            }
        }
    }
}
