package io.souper.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import io.souper.data.FashionMnist;
import io.souper.data.LabeledImages;
import io.souper.data.PixelNormalisation;
import io.souper.scoring.ScoreResult;
import io.souper.scoring.Scorer;
import io.souper.scoring.TorchScriptArchitecture;
import io.souper.testsupport.TorchReference;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12: a bf16 checkpoint used to abort the evaluator's JVM inside libtorch (DJL 0.36 cannot
 * create BFLOAT16 arrays), and an fp16 candidate soup failed. Both are now widened to F32 in Java
 * and scored: this test runs in the surefire JVM, so an abort would fail the whole run. Scores and
 * logits must equal PyTorch's for the same half-precision files (load_state_dict into the fp32
 * model, which widens exactly as we do), and so must a soup of two half-precision checkpoints.
 */
class HalfPrecisionScoringTest {

    private static final Path ARCH = Path.of("models/fmnist_cnn.pt");
    private static final int N = 256;

    @TempDir
    Path tmp;

    @Test
    void bf16AndF16CheckpointsAndTheirSoupsAreScoredLikePyTorch() throws IOException {
        Path data = FashionMnist.DEBIAN_DIRECTORY;
        TorchReference.run("make-checkpoints", "--arch", ARCH.toString(), "--dir", data.toString(),
                "--out", tmp.toString(), "--count", "2");
        LabeledImages images = FashionMnist.load(data, "t10k", 0, N, PixelNormalisation.FASHION_MNIST);
        try (TorchScriptArchitecture cnn = TorchScriptArchitecture.load(ARCH, Device.cpu())) {
            Scorer scorer = new Scorer(cnn, Scorer.DEFAULT_BATCH_SIZE);
            for (String dtype : List.of("bf16", "f16")) {
                Path a = tmp.resolve("a-" + dtype + ".safetensors");
                Path b = tmp.resolve("b-" + dtype + ".safetensors");
                CheckpointReference.run("to-dtype", tmp.resolve("ckpt-0.safetensors"), a, dtype);
                CheckpointReference.run("to-dtype", tmp.resolve("ckpt-1.safetensors"), b, dtype);
                Path soup = tmp.resolve("soup-" + dtype + ".safetensors");
                try (OutputStream out = Files.newOutputStream(soup)) {
                    RunningSum.empty().add("a", a, tmp.resolve("sum-" + dtype + ".safetensors")).averageWith(b, out);
                }
                JsonNode check = CheckpointReference.run("check-mean", soup, a, b);
                assertThat(check.get("mismatched")).as("soup of two %s checkpoints equals torch's mean", dtype).isEmpty();

                List<Path> files = List.of(a, b, soup);
                Path prefix = tmp.resolve("logits-" + dtype);
                JsonNode reference = TorchReference.run("score", "--arch", ARCH.toString(), "--dir", data.toString(),
                        "--split", "t10k", "--start", "0", "--end", Integer.toString(N),
                        "--state", a.toString(), "--state", b.toString(), "--state", soup.toString(),
                        "--logits-prefix", prefix.toString());
                for (int k = 0; k < files.size(); k++) {
                    try (SafetensorsReader reader = SafetensorsReader.open(files.get(k))) {
                        assertThat(reader.tensors()).allMatch(s -> s.dtype().isHalfPrecision());
                        cnn.loadStateDict(reader);
                    }
                    ScoreResult result = scorer.scoreWithLogits(images);
                    assertThat(result.correct()).as("%s file %s", dtype, files.get(k).getFileName())
                            .isEqualTo(reference.get("correct").get(k).asLong());
                    float[] expected = floats(Path.of(prefix + "-" + k + ".f32"));
                    assertThat(result.logits()).hasSameSizeAs(expected);
                    for (int i = 0; i < expected.length; i++) {
                        assertThat(result.logits()[i]).isCloseTo(expected[i], within(1e-4f));
                    }
                }
                assertThat(reference.get("correct").get(0).asInt()).isGreaterThan(N / 4); // trained, not chance
            }
        }
    }

    private static float[] floats(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }
}
