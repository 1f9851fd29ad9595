package io.souper.bench;

import ai.djl.Device;
import io.souper.checkpoint.Tensor;
import io.souper.data.FashionMnist;
import io.souper.data.LabeledImages;
import io.souper.scoring.Devices;
import io.souper.scoring.ScoreResult;
import io.souper.scoring.Scorer;
import io.souper.scoring.TorchScriptArchitecture;
import io.souper.scoring.TorchThreads;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Scoring throughput of the demo CNN on the Fashion-MNIST test split (10,000 images), and the
 * cost of swapping a checkpoint's weights in. Not a test: run bench/scoring_speed.sh.
 * Arguments: [device] [architecture] [batch sizes, comma-separated].
 */
public final class ScoringSpeed {

    private ScoringSpeed() {
    }

    public static void main(String[] args) {
        String device = args.length > 0 ? args[0] : "auto";
        Path arch = Path.of(args.length > 1 ? args[1] : "models/fmnist_cnn.pt");
        String[] batches = (args.length > 2 ? args[2] : "64,256,1024").split(",");
        LabeledImages test = FashionMnist.load(FashionMnist.DEBIAN_DIRECTORY, "t10k");
        Device resolved = Devices.resolve(device);
        try (TorchScriptArchitecture model = TorchScriptArchitecture.load(arch, resolved)) {
            System.out.printf(Locale.ROOT, "%s on %s, %d intra-op threads, %d cores%n", arch,
                    Devices.describe(resolved), TorchThreads.intraOpThreads(),
                    Runtime.getRuntime().availableProcessors());
            Map<String, Tensor> weights = copyOfCurrentWeights(model);
            long t0 = System.nanoTime();
            int swaps = 20;
            for (int i = 0; i < swaps; i++) {
                model.loadStateDict(weights);
            }
            System.out.printf(Locale.ROOT, "weight swap: %.1f ms per checkpoint (%d tensors)%n",
                    (System.nanoTime() - t0) / 1e6 / swaps, weights.size());
            for (String b : batches) {
                Scorer scorer = new Scorer(model, Integer.parseInt(b.trim()));
                scorer.score(test.slice("warm-up", 0, 1024));
                double best = 0;
                for (int run = 0; run < 3; run++) {
                    ScoreResult r = scorer.score(test);
                    best = Math.max(best, r.total() * 1e9 / r.elapsedNanos());
                }
                System.out.printf(Locale.ROOT, "batch %5s: %8.0f images/s (best of 3 over %d images)%n", b, best,
                        test.size());
            }
        }
    }

    /** The architecture's own initial weights as a state dict, to time the swap path. */
    private static Map<String, Tensor> copyOfCurrentWeights(TorchScriptArchitecture model) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        model.stateDictTensors().values().forEach(t -> {
            long n = Tensor.elementCount(t.shape());
            ByteBuffer zeros = ByteBuffer.allocateDirect((int) (n * t.dtype().byteSize())).order(ByteOrder.LITTLE_ENDIAN);
            out.put(t.name(), new Tensor(t.name(), t.dtype(), t.shape(), zeros));
        });
        return out;
    }
}
