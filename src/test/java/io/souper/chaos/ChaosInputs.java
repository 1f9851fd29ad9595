package io.souper.chaos;

import io.souper.checkpoint.DType;
import io.souper.checkpoint.SafetensorsReader;
import io.souper.checkpoint.SafetensorsWriter;
import io.souper.checkpoint.Tensor;
import io.souper.data.FashionMnist;
import io.souper.testsupport.EvaluatorReference;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Real checkpoints of the demo CNN for the chaos run, made from a seed. One base is trained briefly
 * by PyTorch (the tests' {@code make-checkpoints}); every checkpoint of the run is that base plus
 * seeded Gaussian noise of its own strength (0.1 to 0.6 of each tensor's RMS). Noise averages out,
 * so soups of several checkpoints score above their members and greedy keeps some and rejects
 * others: real accepts, rejections and multi-ingredient artifacts, each scored in a fraction of a
 * second.
 *
 * <p>Each checkpoint is written twice, for the undisturbed soups and for the soups under chaos,
 * with the same tensors and a different metadata entry: equal scores and equal averaged artifacts
 * (the averager's output metadata does not depend on its inputs'), but different file hashes, so
 * the evaluator cannot answer the chaos soups from what it computed for the undisturbed ones.
 */
final class ChaosInputs {

    static final Path ARCHITECTURE = Path.of("models/fmnist_cnn.pt");
    static final Path IDX = FashionMnist.DEBIAN_DIRECTORY;
    /** 300 training images the fine-tunes never saw (make-checkpoints trains on the first 2,048). */
    static final String HELD_OUT = "file://" + IDX + "?split=train&from=55000&to=55300";

    /** A run's twin soups: {@code baseline} and {@code chaos} checkpoints for soup {@code s}, index {@code k}. */
    record Files2(Path baseline, Path chaos) {
    }

    final Path store;
    final Path architecture;
    final List<List<Files2>> checkpoints;

    private ChaosInputs(Path store, Path architecture, List<List<Files2>> checkpoints) {
        this.store = store;
        this.architecture = architecture;
        this.checkpoints = checkpoints;
    }

    static ChaosInputs make(Path store, long seed, int soups, int perSoup) {
        try {
            Path models = Files.createDirectories(store.resolve("models"));
            Path architecture = models.resolve("cnn.pt");
            Files.copy(ARCHITECTURE, architecture, StandardCopyOption.REPLACE_EXISTING);
            Path base = EvaluatorReference.makeCheckpoints(ARCHITECTURE, IDX,
                    Files.createDirectories(store.resolve("base")), 1).get(0);
            Path runs = Files.createDirectories(store.resolve("runs"));
            List<Tensor> tensors = new ArrayList<>();
            try (SafetensorsReader reader = SafetensorsReader.open(base)) {
                for (String name : reader.names()) {
                    tensors.add(reader.load(name));
                }
            }
            SplittableRandom random = new SplittableRandom(seed);
            List<List<Files2>> all = new ArrayList<>();
            for (int s = 0; s < soups; s++) {
                List<Files2> soup = new ArrayList<>();
                for (int k = 0; k < perSoup; k++) {
                    double strength = 0.1 + 0.5 * random.nextDouble();
                    List<Tensor> noisy = perturb(tensors, strength, random.split());
                    String stem = String.format(Locale.ROOT, "s%02d-k%02d", s, k);
                    Path a = runs.resolve(stem + "-baseline.safetensors");
                    Path b = runs.resolve(stem + "-chaos.safetensors");
                    SafetensorsWriter.write(a, noisy, Map.of("twin", "baseline", "strength", "" + strength));
                    SafetensorsWriter.write(b, noisy, Map.of("twin", "chaos", "strength", "" + strength));
                    soup.add(new Files2(a, b));
                }
                all.add(List.copyOf(soup));
            }
            return new ChaosInputs(store, architecture, List.copyOf(all));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Tensor> perturb(List<Tensor> tensors, double strength, SplittableRandom random) {
        List<Tensor> out = new ArrayList<>();
        for (Tensor t : tensors) {
            if (t.dtype() != DType.F32) {
                out.add(t);
                continue;
            }
            var in = t.data().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            int n = in.remaining();
            double sumSquares = 0;
            for (int i = 0; i < n; i++) {
                sumSquares += (double) in.get(i) * in.get(i);
            }
            double sigma = strength * Math.sqrt(sumSquares / Math.max(1, n));
            ByteBuffer bytes = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                bytes.putFloat((float) (in.get(i) + sigma * gaussian(random)));
            }
            out.add(new Tensor(t.name(), t.dtype(), t.shape(), bytes.flip()));
        }
        return out;
    }

    /** Box-Muller, so the noise depends on the seed alone (not on a JDK's nextGaussian). */
    private static double gaussian(SplittableRandom random) {
        double u = 1.0 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
