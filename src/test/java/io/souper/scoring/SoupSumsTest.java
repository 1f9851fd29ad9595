package io.souper.scoring;

import io.souper.checkpoint.CheckpointErrorCode;
import io.souper.errors.SouperException;
import io.souper.checkpoint.DType;
import io.souper.checkpoint.SafetensorsWriter;
import io.souper.checkpoint.Sha256;
import io.souper.checkpoint.Tensor;
import io.souper.checkpoint.RunningSum;
import io.souper.checkpoint.FileBlobStore;
import io.souper.checkpoint.SafetensorsReader;
import io.souper.checkpoint.sharded.ShardedCheckpoint;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Running sums per soup: "soup + one checkpoint" reads one checkpoint, and the bytes are those of a from-scratch mean. */
class SoupSumsTest {

    @TempDir
    Path tmp;

    private ResolvedIngredient a;
    private ResolvedIngredient b;
    private ResolvedIngredient c;
    private ResolvedIngredient d;

    @BeforeEach
    void checkpoints() {
        a = checkpoint("a", 1);
        b = checkpoint("b", 2);
        c = checkpoint("c", 3);
        d = checkpoint("d", 4);
    }

    @Test
    void theCachedSoupPlusOneCheckpointReadsOnlyThatCheckpoint() {
        SoupSums sums = new SoupSums(tmp.resolve("work"), 8);

        sums.writeAverage("s", List.of(a), b, new ByteArrayOutputStream()); // first: the sum of [a] is built
        assertThat(sums.stats()).isEqualTo(new SoupSums.Stats(0, 0, 1, 2));

        sums.writeAverage("s", List.of(a, b), c, new ByteArrayOutputStream()); // b was accepted: add b only
        assertThat(sums.stats()).isEqualTo(new SoupSums.Stats(0, 1, 1, 4));

        byte[] soupPlusD = average(sums, "s", List.of(a, b), d); // c was rejected: soup [a, b] is cached
        assertThat(sums.stats()).isEqualTo(new SoupSums.Stats(1, 1, 1, 5));

        assertThat(soupPlusD).as("same bytes as averaging a, b, d from scratch").isEqualTo(fromScratch(a, b, d));
    }

    @Test
    void aSoupThatIsNotAnExtensionOfTheCachedOneIsRebuilt() {
        SoupSums sums = new SoupSums(tmp.resolve("work"), 8);
        average(sums, "s", List.of(a, b), c);
        // A sorted soup replayed from a new best: the order changes, so the sum is rebuilt in the new order.
        byte[] replayed = average(sums, "s", List.of(c, a), d);
        assertThat(sums.stats().rebuilds()).isEqualTo(2);
        assertThat(replayed).isEqualTo(fromScratch(c, a, d));
        average(sums, "s", List.of(c, a), b);
        assertThat(sums.stats().hits()).as("the sum now holds [c, a]").isEqualTo(1);
    }

    @Test
    void anIngredientWithTheSameIdButOtherBytesIsNotServedFromTheSum() {
        SoupSums sums = new SoupSums(tmp.resolve("work"), 8);
        average(sums, "s", List.of(a, b), c);
        ResolvedIngredient otherB = checkpoint("b", 99); // same id, other bytes (and hash)
        byte[] out = average(sums, "s", List.of(a, otherB), c);
        assertThat(sums.stats().hits()).isZero();
        assertThat(sums.stats().rebuilds()).isEqualTo(2);
        assertThat(out).isEqualTo(fromScratch(a, otherB, c));
    }

    @Test
    void sumsSurviveARestart() {
        SoupSums before = new SoupSums(tmp.resolve("work"), 8);
        average(before, "s", List.of(a, b), c);

        SoupSums after = new SoupSums(tmp.resolve("work"), 8);
        byte[] out = average(after, "s", List.of(a, b), d);
        assertThat(after.stats()).as("only d read").isEqualTo(new SoupSums.Stats(1, 0, 0, 1));
        assertThat(out).isEqualTo(fromScratch(a, b, d));
    }

    @Test
    void soupsAreKeptApartAndTheLeastRecentlyUsedSumIsDeleted() throws Exception {
        SoupSums sums = new SoupSums(tmp.resolve("work"), 1);
        average(sums, "soup/one", List.of(a, b), c);
        assertThat(directories()).hasSize(1);
        average(sums, "soup two", List.of(c, d), a);
        assertThat(directories()).hasSize(1);
        average(sums, "soup/one", List.of(a, b), d);
        assertThat(sums.stats().rebuilds()).as("evicted, so built again").isEqualTo(3);
    }

    @Test
    void anEmptySoupAveragesTheCandidateAlone() {
        SoupSums sums = new SoupSums(tmp.resolve("work"), 8);
        assertThat(average(sums, "s", List.of(), c)).isEqualTo(fromScratch(c));
        assertThat(sums.stats().checkpointsRead()).isEqualTo(1);
    }

    @Test
    void aFailedBuildLeavesNoSumBehindAndTheNextRequestStartsClean() throws Exception {
        SoupSums sums = new SoupSums(tmp.resolve("work"), 8);
        average(sums, "s", List.of(a), b);
        Path other = tmp.resolve("other-shape.safetensors");
        SafetensorsWriter.write(other, List.of(new Tensor("layer.weight", DType.F32, new long[] {4, 16},
                        ByteBuffer.allocate(64 * 4)), new Tensor("layer.steps", DType.I64, new long[] {1},
                        ByteBuffer.allocate(8))), Map.of());
        ResolvedIngredient bad = open(ref("x", other), other);

        assertThatThrownBy(() -> average(sums, "s", List.of(a, bad), c))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(CheckpointErrorCode.SHAPE_MISMATCH));
        assertThat(directories()).isEmpty();

        assertThat(average(sums, "s", List.of(a, b), c)).isEqualTo(fromScratch(a, b, c));
    }

    // ---- helpers ----

    private static byte[] average(SoupSums sums, String soup, List<ResolvedIngredient> base, ResolvedIngredient tried) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        sums.writeAverage(soup, base, tried, out);
        return out.toByteArray();
    }

    /** The average built from nothing, one ingredient at a time, in a directory of its own. */
    private byte[] fromScratch(ResolvedIngredient... ingredients) {
        try {
            Path dir = Files.createTempDirectory(tmp, "scratch");
            RunningSum sum = RunningSum.empty();
            for (int i = 0; i < ingredients.length - 1; i++) {
                try (SafetensorsReader reader = ingredients[i].reader()) {
                    sum = sum.add(ingredients[i].checkpointId(), reader, dir.resolve("sum-" + i));
                }
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (SafetensorsReader reader = ingredients[ingredients.length - 1].reader()) {
                sum.averageWith(reader, out);
            }
            return out.toByteArray();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private List<Path> directories() throws Exception {
        try (Stream<Path> dirs = Files.list(tmp.resolve("work"))) {
            return dirs.filter(Files::isDirectory).toList();
        }
    }

    /** A small checkpoint with values spread over magnitudes, so a change of summation order shows in the bytes. */
    private ResolvedIngredient checkpoint(String id, long seed) {
        Random random = new Random(seed);
        ByteBuffer w = ByteBuffer.allocate(64 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 64; i++) {
            w.putFloat((float) (random.nextGaussian() * Math.pow(10, random.nextInt(7) - 3)));
        }
        ByteBuffer step = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(seed * 7);
        Path file = tmp.resolve(id + "-" + seed + ".safetensors");
        SafetensorsWriter.write(file, List.of(new Tensor("layer.weight", DType.F32, new long[] {8, 8}, w.flip()),
                new Tensor("layer.steps", DType.I64, new long[] {1}, step.flip())), Map.of());
        return open(ref(id, file), file);
    }

    private ResolvedIngredient open(CheckpointRef ref, Path file) {
        return new ResolvedIngredient(ref, ShardedCheckpoint.open(new FileBlobStore(List.of(tmp)), ref.uri()),
                Sha256.of(file));
    }

    private static CheckpointRef ref(String id, Path file) {
        return new CheckpointRef(id, file.toUri().toString(), null, Map.of());
    }
}
