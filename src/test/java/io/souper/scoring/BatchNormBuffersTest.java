package io.souper.scoring;

import io.souper.errors.SouperException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import io.souper.checkpoint.DType;
import io.souper.checkpoint.Tensor;
import io.souper.data.FashionMnist;
import io.souper.data.LabeledImages;
import io.souper.data.PixelNormalisation;
import io.souper.testsupport.TorchReference;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The buffer rule: DJL cannot see buffers (BatchNorm running statistics), so a checkpoint's
 * buffers are applied through the architecture's exported souper_buffers() or the architecture
 * is refused; scores are never computed with the wrong statistics.
 */
class BatchNormBuffersTest {

    private static final int N = 256;

    @TempDir
    static Path tmp;

    private static LabeledImages data;

    @BeforeAll
    static void makeTinyBatchNormModels() {
        // bn.pt: exports souper_buffers() and was saved in training mode; bn_plain.pt: neither.
        TorchReference.run("make-bn", "--out", tmp.toString());
        data = FashionMnist.load(FashionMnist.DEBIAN_DIRECTORY, "t10k", 0, N, PixelNormalisation.FASHION_MNIST);
    }

    @Test
    void buffersAreAppliedAndScoresEqualPyTorchsInEvalMode() throws IOException {
        JsonNode ref = TorchReference.run("score", "--arch", tmp.resolve("bn.pt").toString(),
                "--dir", FashionMnist.DEBIAN_DIRECTORY.toString(), "--split", "t10k", "--start", "0",
                "--end", Integer.toString(N), "--state", tmp.resolve("bn-state.safetensors").toString(),
                "--logits-prefix", tmp.resolve("bn-logits").toString());
        float[] expected = ScorerTest.readFloats(tmp.resolve("bn-logits-0.f32"));
        Map<String, Tensor> state = ScorerTest.readStateDict(tmp.resolve("bn-state.safetensors"));

        try (TorchScriptArchitecture bn = TorchScriptArchitecture.load(tmp.resolve("bn.pt"), Device.cpu())) {
            assertThat(bn.exportsBuffers()).isTrue();
            assertThat(bn.stateDictTensors().values().stream().filter(ArchitectureTensor::buffer)
                    .map(ArchitectureTensor::name)).containsExactly("features.1.num_batches_tracked",
                    "features.1.running_mean", "features.1.running_var");
            assertThat(bn.stateDictTensors().get("features.1.num_batches_tracked").dtype()).isEqualTo(DType.I64);

            bn.loadStateDict(state);
            ScoreResult result = new Scorer(bn, Scorer.DEFAULT_BATCH_SIZE).scoreWithLogits(data);
            assertThat(result.correct()).isEqualTo(ref.get("correct").get(0).asLong());
            float[] actual = result.logits();
            for (int i = 0; i < expected.length; i++) {
                assertThat(actual[i]).as("logit %d", i).isCloseTo(expected[i], within(1e-4f));
            }

            // The running statistics really are in use: the init statistics give other logits.
            Map<String, Tensor> initStats = new LinkedHashMap<>(state);
            initStats.put("features.1.running_mean", ScorerTest.f32("features.1.running_mean", new long[] {4},
                    0f, 0f, 0f, 0f));
            initStats.put("features.1.running_var", ScorerTest.f32("features.1.running_var", new long[] {4},
                    1f, 1f, 1f, 1f));
            bn.loadStateDict(initStats);
            float[] withInitStats = new Scorer(bn, Scorer.DEFAULT_BATCH_SIZE).scoreWithLogits(data).logits();
            assertThat(Math.abs(withInitStats[0] - expected[0]) + Math.abs(withInitStats[1] - expected[1]))
                    .isGreaterThan(1e-3f);

            // An I32 step counter is converted to the buffer's I64; scores come back exactly.
            Map<String, Tensor> i32Counter = new LinkedHashMap<>(state);
            ByteBuffer five = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 20);
            i32Counter.put("features.1.num_batches_tracked",
                    new Tensor("features.1.num_batches_tracked", DType.I32, new long[0], five));
            bn.loadStateDict(i32Counter);
            assertThat(new Scorer(bn, Scorer.DEFAULT_BATCH_SIZE).scoreWithLogits(data).logits()).isEqualTo(actual);
        }
    }

    @Test
    void aCheckpointWithoutTheBuffersIsMissingKeys() {
        Map<String, Tensor> paramsOnly = ScorerTest.readStateDict(tmp.resolve("bn-params-only.safetensors"));
        try (TorchScriptArchitecture bn = TorchScriptArchitecture.load(tmp.resolve("bn.pt"), Device.cpu())) {
            assertThatThrownBy(() -> bn.loadStateDict(paramsOnly))
                    .isInstanceOfSatisfying(SouperException.class,
                            e -> assertThat(e.code()).isEqualTo(ScoringErrorCode.KEY_MISMATCH))
                    .hasMessageContaining("features.1.running_mean").hasMessageContaining("features.1.running_var");
        }
    }

    @Test
    void anArchitectureWithUnreachableBuffersIsRefused() {
        assertThatThrownBy(() -> TorchScriptArchitecture.load(tmp.resolve("bn_plain.pt"), Device.cpu()))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(ScoringErrorCode.UNREACHABLE_BUFFERS))
                .hasMessageContaining("bn_plain.pt").hasMessageContaining("souper_buffers")
                .hasMessageContaining("9 tensors but only 6 parameters");
    }
}
