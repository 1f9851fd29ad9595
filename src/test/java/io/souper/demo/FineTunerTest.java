package io.souper.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.souper.checkpoint.SafetensorsReader;
import io.souper.checkpoint.Sha256;
import io.souper.checkpoint.Tensor;
import io.souper.data.FashionMnist;
import io.souper.data.LabeledImages;
import io.souper.data.PixelNormalisation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real DJL training of the real TorchScript CNN on a few hundred Fashion-MNIST images. */
class FineTunerTest {

    private static final Path ARCHITECTURE = Path.of("models/fmnist_cnn.pt");
    private static LabeledImages data;

    @TempDir
    static Path shared;
    private static RunResult pretrained;

    @BeforeAll
    static void pretrain() {
        data = FashionMnist.load(FashionMnist.DEBIAN_DIRECTORY, "train", 0, 512, PixelNormalisation.FASHION_MNIST);
        FineTuner scratch = new FineTuner(ARCHITECTURE, Optional.empty(), data, PixelNormalisation.FASHION_MNIST,
                shared.resolve("pre"));
        pretrained = scratch.run(new RunSpec("pre", 0, RunSpec.OptimizerKind.ADAMW, 0.003, RunSpec.Schedule.CONSTANT,
                4, 64, 0, 0, 0, 0, RunSpec.TrainableLayers.ALL, 0, 1, 0));
    }

    static RunSpec spec(String id, long seed, RunSpec.OptimizerKind opt, double lr, RunSpec.TrainableLayers layers,
                        int epochs) {
        return new RunSpec(id, seed, opt, lr, RunSpec.Schedule.COSINE, epochs, 64, 0.0005, 0.1, 2, 0.1, layers,
                0, 1, 0);
    }

    @Test
    void trainingFromTheTorchScriptInitLowersTheLoss() throws Exception {
        assertThat(pretrained.resumed()).isFalse();
        assertThat(pretrained.imagesSeen()).isEqualTo(2048);
        // 10 classes: a model that learned nothing sits at ln(10) = 2.30; PyTorch itself reaches
        // about 0.8 with this recipe on these images.
        assertThat(pretrained.finalTrainLoss()).isLessThan(1.2);
        assertThat(pretrained.sha256()).isEqualTo(Sha256.of(pretrained.checkpoint()));
        try (SafetensorsReader r = SafetensorsReader.open(pretrained.checkpoint())) {
            assertThat(r.names()).containsExactlyInAnyOrder("conv1.weight", "conv1.bias", "gn1.weight", "gn1.bias",
                    "conv2.weight", "conv2.bias", "gn2.weight", "gn2.bias", "fc1.weight", "fc1.bias", "fc2.weight",
                    "fc2.bias");
            assertThat(r.metadata()).containsEntry("run_id", "pre").containsEntry("optimizer", "adamw")
                    .containsEntry("lr", "0.003");
        }
    }

    @Test
    void frozenLayersKeepTheStartWeightsExactlyAndTheOthersMove(@TempDir Path dir) throws Exception {
        FineTuner tuner = new FineTuner(ARCHITECTURE, Optional.of(pretrained.checkpoint()), data,
                PixelNormalisation.FASHION_MNIST, dir);
        RunResult head = tuner.run(spec("head", 1, RunSpec.OptimizerKind.SGD_MOMENTUM, 0.01,
                RunSpec.TrainableLayers.HEAD, 1));
        Map<String, float[]> start = floats(pretrained.checkpoint());
        Map<String, float[]> after = floats(head.checkpoint());
        for (String frozen : new String[] {"conv1.weight", "conv1.bias", "gn1.weight", "conv2.weight", "gn2.bias"}) {
            assertThat(after.get(frozen)).as(frozen).isEqualTo(start.get(frozen));
        }
        for (String trained : new String[] {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}) {
            assertThat(after.get(trained)).as(trained).isNotEqualTo(start.get(trained));
        }
        assertThat(head.hyperParameters()).containsEntry("trainable", "head").containsEntry("optimizer", "sgd_momentum");
    }

    @Test
    void aFinishedRunIsFoundOnRestartAndAChangedRecipeOrBrokenCheckpointIsRedone(@TempDir Path dir) throws Exception {
        FineTuner tuner = new FineTuner(ARCHITECTURE, Optional.of(pretrained.checkpoint()), data,
                PixelNormalisation.FASHION_MNIST, dir);
        RunSpec spec = new RunSpec("r1", 5, RunSpec.OptimizerKind.SGD_MOMENTUM, 0.01, RunSpec.Schedule.CONSTANT, 1,
                128, 0, 0, 0, 0, RunSpec.TrainableLayers.ALL, 1, 2, 100);
        assertThat(tuner.finished(spec)).isEmpty();
        RunResult first = tuner.run(spec);
        assertThat(first.imagesSeen()).isEqualTo(100); // shard 1 of 2, at most 100 images
        assertThat(Files.exists(tuner.markerFile("r1"))).isTrue();

        // A new tuner (a restarted demo) finds it and does not train again.
        FineTuner restarted = new FineTuner(ARCHITECTURE, Optional.of(pretrained.checkpoint()), data,
                PixelNormalisation.FASHION_MNIST, dir);
        RunResult again = restarted.run(spec);
        assertThat(again.resumed()).isTrue();
        assertThat(again.sha256()).isEqualTo(first.sha256());
        assertThat(again.finalTrainLoss()).isEqualTo(first.finalTrainLoss());

        // Same id, other learning rate: not the same run.
        assertThat(restarted.finished(new RunSpec("r1", 5, RunSpec.OptimizerKind.SGD_MOMENTUM, 0.02,
                RunSpec.Schedule.CONSTANT, 1, 128, 0, 0, 0, 0, RunSpec.TrainableLayers.ALL, 1, 2, 100))).isEmpty();

        // A checkpoint that no longer matches its marker is trained again.
        Files.write(tuner.checkpointFile("r1"), new byte[] {1, 2, 3});
        assertThat(restarted.finished(spec)).isEmpty();
        RunResult redone = restarted.run(spec);
        assertThat(redone.resumed()).isFalse();
        // Same seed, same data, same start: DJL on CPU reproduces the run bit for bit.
        assertThat(redone.sha256()).isEqualTo(first.sha256());
    }

    @Test
    void differentSeedsGiveDifferentModels(@TempDir Path dir) {
        FineTuner tuner = new FineTuner(ARCHITECTURE, Optional.of(pretrained.checkpoint()), data,
                PixelNormalisation.FASHION_MNIST, dir);
        RunResult a = tuner.run(spec("s1", 1, RunSpec.OptimizerKind.SGD_MOMENTUM, 0.01, RunSpec.TrainableLayers.ALL, 1));
        RunResult b = tuner.run(spec("s2", 2, RunSpec.OptimizerKind.SGD_MOMENTUM, 0.01, RunSpec.TrainableLayers.ALL, 1));
        assertThat(a.sha256()).isNotEqualTo(b.sha256());
    }

    @Test
    void badSpecsAndStartsAreRefusedSayingWhat(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> new RunSpec("bad id!", 0, RunSpec.OptimizerKind.ADAMW, 0.1, RunSpec.Schedule.CONSTANT,
                1, 1, 0, 0, 0, 0, RunSpec.TrainableLayers.ALL, 0, 1, 0)).hasMessageContaining("bad id!");
        assertThatThrownBy(() -> new RunSpec("x", 0, RunSpec.OptimizerKind.ADAMW, -1, RunSpec.Schedule.CONSTANT,
                1, 1, 0, 0, 0, 0, RunSpec.TrainableLayers.ALL, 0, 1, 0)).hasMessageContaining("learning rate");
        assertThatThrownBy(() -> new RunSpec("x", 0, RunSpec.OptimizerKind.ADAMW, 0.1, RunSpec.Schedule.CONSTANT,
                1, 1, 0, 0, 0, 0, RunSpec.TrainableLayers.ALL, 2, 2, 0)).hasMessageContaining("shard 2 of 2");
        // A start checkpoint of another architecture.
        Path foreign = dir.resolve("foreign.safetensors");
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16);
        io.souper.checkpoint.SafetensorsWriter.write(foreign,
                java.util.List.of(new Tensor("w", io.souper.checkpoint.DType.F32, new long[] {4}, b)), Map.of());
        FineTuner tuner = new FineTuner(ARCHITECTURE, Optional.of(foreign), data, PixelNormalisation.FASHION_MNIST,
                dir.resolve("runs"));
        assertThatThrownBy(() -> tuner.run(spec("f", 1, RunSpec.OptimizerKind.ADAMW, 0.01,
                RunSpec.TrainableLayers.ALL, 1))).hasMessageContaining("do not match").hasMessageContaining("conv1.weight");
    }

    private static Map<String, float[]> floats(Path checkpoint) {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (SafetensorsReader r = SafetensorsReader.open(checkpoint)) {
            for (String n : r.names()) {
                Tensor t = r.load(n);
                float[] v = new float[(int) t.elementCount()];
                t.data().asFloatBuffer().get(v);
                out.put(n, v);
            }
        }
        return out;
    }
}
