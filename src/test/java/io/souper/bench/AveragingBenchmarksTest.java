package io.souper.bench;

import io.souper.checkpoint.DType;
import io.souper.checkpoint.SafetensorsReader;
import io.souper.checkpoint.SafetensorsWriter;
import io.souper.checkpoint.StreamingMean;
import io.souper.checkpoint.Tensor;
import io.souper.scoring.CandidateCost;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** The averaging, candidate and scoring benchmarks at tiny size (bench/averaging, bench/candidate, bench/scoring). */
class AveragingBenchmarksTest {

    @TempDir
    Path tmp;

    @Test
    void averagingBenchmarkMeasuresTheReadBandwidthAndWritesTheSameCandidateAsOnePassAveraging() throws Exception {
        List<Path> inputs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            inputs.add(model(tmp.resolve("ckpt" + i + ".safetensors"), new Random(i), 300_000));
        }
        Path candidate = tmp.resolve("candidate.safetensors");

        AveragingThroughput.Run run = AveragingThroughput.run(tmp.resolve("work"), candidate, inputs);

        assertThat(run.read1GbPerS()).isPositive();
        assertThat(run.read2GbPerS()).isPositive();
        assertThat(run.candidateGbPerS()).isPositive();
        assertThat(run.ratio()).isPositive();
        // the candidate reads the F64 sum of three checkpoints (8 bytes an element) and one checkpoint (4)
        assertThat(run.candidateBytesRead()).isEqualTo(300_000L * 12 + 3 * 8 + 3 * 4);
        assertThat(body(Files.readAllBytes(candidate))).isEqualTo(body(onePassAverage(inputs)));
    }

    @Test
    void candidateCostIsFlatInSoupSizeAndScoresEveryCandidate() throws Exception {
        Path models = tmp.resolve("models");
        Process make = new ProcessBuilder("/usr/bin/python3", "bench/candidate/make_models.py", models.toString(), "3",
                "small").redirectErrorStream(true).start();
        String log = new String(make.getInputStream().readAllBytes());
        assertThat(make.waitFor()).as(log).isZero();

        List<CandidateCost.Size> sizes = CandidateCost.run(models.resolve("small"),
                "file:///usr/share/datasets/fashion-mnist?split=train&from=0&to=64", tmp.resolve("work"), 2,
                new int[] {2, 6}, true);

        assertThat(sizes).extracting(CandidateCost.Size::mode)
                .containsExactly("average+score", "average", "average+score", "average");
        long checkpoint = Files.size(models.resolve("small/ckpt0.safetensors"));
        for (CandidateCost.Size size : sizes) {
            assertThat(size.seconds()).hasSize(2);
            assertThat(Arrays.stream(size.seconds()).min().orElseThrow()).isPositive();
            if (size.mode().equals("average")) {
                // the F64 sum (about twice a checkpoint) and the candidate: ~3 checkpoints whatever the soup size
                assertThat(Arrays.stream(size.bytesRead()).max().orElseThrow())
                        .isBetween(2 * checkpoint, 4 * checkpoint);
            }
        }
        long small = sizes.get(1).bytesRead()[0];
        long large = sizes.get(3).bytesRead()[0];
        assertThat((double) large).as("bytes read for soup 6 vs soup 2").isCloseTo(small, org.assertj.core.data.Percentage.withPercentage(5));
    }

    @Test
    void scoringBenchmarkScoresTheSameImagesWithTheSameFileOnBothSides() throws Exception {
        Path arch = Path.of("models/fmnist_cnn.pt");
        List<String> djl = new ArrayList<>();
        ScoringSpeed.run(arch, 1, List.of(), djl::add);
        Process torch = new ProcessBuilder("/usr/bin/python3", "-W", "ignore", "bench/scoring/torch_score.py", "1",
                arch.toString(), "0").redirectErrorStream(true).start();
        List<String> py = new String(torch.getInputStream().readAllBytes()).lines().toList();
        assertThat(torch.waitFor()).as(String.join("\n", py)).isZero();

        assertThat(djl).filteredOn(l -> l.startsWith("PASS ")).hasSize(1)
                .allSatisfy(l -> assertThat(Double.parseDouble(l.substring(5))).isPositive());
        assertThat(djl).anySatisfy(l -> assertThat(l).startsWith("PREP "));
        // The same file on the same 2,048 normalised images: the same predictions, up to the odd
        // near-tie that libtorch 2.7.1 and PyTorch 1.13 round differently.
        int djlTop1 = top1(djl);
        int torchTop1 = top1(py);
        assertThat(djlTop1).as("DJL top-1 vs PyTorch's on the same file and images").isBetween(torchTop1 - 3, torchTop1 + 3);
    }

    private static int top1(List<String> lines) {
        String line = lines.stream().filter(l -> l.startsWith("INFO top-1 ")).findFirst()
                .orElseThrow(() -> new AssertionError("no top-1 line in " + lines));
        return Integer.parseInt(line.split(" ")[2]);
    }

    private static Path model(Path file, Random random, int elements) {
        ByteBuffer w = ByteBuffer.allocate(elements * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < elements; i++) {
            w.putFloat((float) random.nextGaussian());
        }
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 3; i++) {
            b.putFloat((float) random.nextGaussian());
        }
        SafetensorsWriter.write(file, List.of(new Tensor("w", DType.F32, new long[] {elements}, w.flip()),
                new Tensor("b", DType.F32, new long[] {3}, b.flip())), Map.of());
        return file;
    }

    private static byte[] onePassAverage(List<Path> inputs) {
        List<SafetensorsReader> readers = new ArrayList<>();
        try {
            inputs.forEach(p -> readers.add(SafetensorsReader.open(p)));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            SafetensorsWriter writer = SafetensorsWriter.open(out, readers.get(0).tensors(), StreamingMean.outputMetadata());
            new StreamingMean().mean(readers, readers.get(0).tensors(), inputs.size(), writer);
            writer.finish();
            return out.toByteArray();
        } finally {
            readers.forEach(SafetensorsReader::close);
        }
    }

    private static byte[] body(byte[] safetensors) {
        long header = ByteBuffer.wrap(safetensors, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return Arrays.copyOfRange(safetensors, 8 + (int) header, safetensors.length);
    }
}
