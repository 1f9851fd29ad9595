package io.souper.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.souper.checkpoint.SafetensorsReader;
import io.souper.data.FashionMnist;
import io.souper.data.LabeledImages;
import io.souper.scoring.ScoreResult;
import io.souper.scoring.Scorer;
import io.souper.scoring.TorchScriptArchitecture;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Scoring throughput of a TorchScript file through the evaluator's own {@link Scorer} (batch 256,
 * gradients off, eval mode) on the first 5,120 images of the Fashion-MNIST test split, and the cost of
 * swapping a checkpoint's weights into a loaded model ({@link TorchScriptArchitecture#loadStateDict},
 * the call the evaluator makes for every candidate). Not a test: bench/scoring/run.sh runs it in a
 * fresh JVM per configuration, beside bench/scoring/torch_score.py on the same file and images.
 * libtorch's thread pools come from {@code -Dai.djl.pytorch.num_threads} / {@code num_interop_threads}.
 *
 * <p>Arguments: {@code ARCH PASSES [SWAP_ARCH SWAP_CHECKPOINT]...}. Prints one line per
 * measurement, for the script to parse:
 * {@code PASS <images/s>} per timed pass (after a warm-up pass over the first 2,048 images),
 * {@code PREP <ms>} for cutting the split into input tensors alone (no forward pass),
 * {@code SWAP <name> <bytes> <ms>} per weight swap, {@code SWAPPART <name> <part> <ms>} for its parts.
 */
public final class ScoringSpeed {

    private static final int SWAPS = 10;
    /** Images per timed pass (20 batches of 256) and in the warm-up pass; torch_score.py uses the same. */
    static final int TIMED_IMAGES = 5120;
    static final int WARM_UP_IMAGES = 2048;

    private ScoringSpeed() {
    }

    public static void main(String[] args) {
        if (args.length < 2 || args.length % 2 != 0) {
            System.err.println("usage: ScoringSpeed ARCH PASSES [SWAP_ARCH SWAP_CHECKPOINT]...");
            System.exit(2);
        }
        List<Path> swaps = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            swaps.add(Path.of(args[i]));
        }
        run(Path.of(args[0]), Integer.parseInt(args[1]), swaps, System.out::println);
    }

    /** Measures and hands each result line to {@code out} as it comes; swaps: architecture, checkpoint pairs. */
    public static void run(Path arch, int passes, List<Path> swaps, Consumer<String> out) {
        LabeledImages all = FashionMnist.load(FashionMnist.DEBIAN_DIRECTORY, "t10k");
        LabeledImages test = all.slice("t10k[0:" + TIMED_IMAGES + "]", 0, TIMED_IMAGES);
        LabeledImages warmUp = all.slice("t10k[0:" + WARM_UP_IMAGES + "]", 0, WARM_UP_IMAGES);
        try (TorchScriptArchitecture model = TorchScriptArchitecture.load(arch, Device.cpu())) {
            out.accept(String.format(Locale.ROOT, "INFO %s, libtorch %s, intra-op %d, inter-op %d, batch %d, %d images",
                    arch, Engine.getEngine("PyTorch").getVersion(), JniUtils.getNumThreads(),
                    JniUtils.getNumInteropThreads(), Scorer.DEFAULT_BATCH_SIZE, test.size()));
            Scorer scorer = new Scorer(model, Scorer.DEFAULT_BATCH_SIZE);
            ScoreResult warm = scorer.score(warmUp);
            out.accept(String.format(Locale.ROOT, "INFO top-1 %d of %d", warm.correct(), warm.total()));
            for (int pass = 0; pass < passes; pass++) {
                ScoreResult r = scorer.score(test);
                out.accept(String.format(Locale.ROOT, "PASS %.1f", r.total() * 1e9 / r.elapsedNanos()));
            }
            out.accept(String.format(Locale.ROOT, "PREP %.2f", inputPreparationMillis(test)));
        }
        for (int i = 0; i + 1 < swaps.size(); i += 2) {
            swaps(swaps.get(i), swaps.get(i + 1), out);
        }
    }

    /**
     * What the Scorer spends per split on its inputs outside the forward pass: one direct buffer
     * and one libtorch tensor per batch, as {@code Scorer.batchOf} makes them.
     */
    private static double inputPreparationMillis(LabeledImages test) {
        float[] pixels = test.inputs();
        int rowFloats = pixels.length / test.size();
        int batch = Scorer.DEFAULT_BATCH_SIZE;
        long best = Long.MAX_VALUE;
        try (NDManager base = NDManager.newBaseManager("PyTorch")) {
            for (int rep = 0; rep < 3; rep++) {
                long start = System.nanoTime();
                for (int from = 0; from < test.size(); from += batch) {
                    int count = Math.min(batch, test.size() - from);
                    try (NDManager m = base.newSubManager()) {
                        ByteBuffer direct = ByteBuffer.allocateDirect(count * rowFloats * Float.BYTES)
                                .order(ByteOrder.nativeOrder());
                        direct.asFloatBuffer().put(pixels, from * rowFloats, count * rowFloats);
                        m.create(direct, new Shape(count, 1, 28, 28), ai.djl.ndarray.types.DataType.FLOAT32);
                    }
                }
                best = Math.min(best, System.nanoTime() - start);
            }
        }
        return best / 1e6;
    }

    /**
     * Where a swap's time goes: the loader stages each tensor as a libtorch array and checks it
     * for NaN/infinity ({@code isNaN().logicalOr(isInfinite()).countNonzero()}: three temporary
     * arrays per tensor) before the in-place copy. Timed here on the same tensors: staging alone,
     * staging + that check, and staging + a check without temporaries (max and min propagate NaN
     * and show an infinity), once per swap. Lines: {@code SWAPPART <name> <part> <ms>}.
     */
    private static void finiteCheckCost(String name, SafetensorsReader reader, Consumer<String> out) {
        try (NDManager base = NDManager.newBaseManager("PyTorch")) {
            for (int i = 0; i < SWAPS; i++) {
                long t0 = System.nanoTime();
                stageAll(base, reader, 0);
                long t1 = System.nanoTime();
                stageAll(base, reader, 1);
                long t2 = System.nanoTime();
                stageAll(base, reader, 2);
                long t3 = System.nanoTime();
                out.accept(String.format(Locale.ROOT, "SWAPPART %s stage %.2f", name, (t1 - t0) / 1e6));
                out.accept(String.format(Locale.ROOT, "SWAPPART %s stage+isnan-isinf-or-count %.2f", name, (t2 - t1) / 1e6));
                out.accept(String.format(Locale.ROOT, "SWAPPART %s stage+max-min %.2f", name, (t3 - t2) / 1e6));
            }
        }
    }

    private static void stageAll(NDManager base, SafetensorsReader reader, int check) {
        try (NDManager m = base.newSubManager()) {
            for (String tensor : reader.names()) {
                io.souper.checkpoint.Tensor t = reader.map(tensor);
                ai.djl.ndarray.NDArray a = m.create(t.data(), new Shape(t.shape()), ai.djl.ndarray.types.DataType.FLOAT32);
                if (check == 1 && a.isNaN().logicalOr(a.isInfinite()).countNonzero().getLong() != 0) {
                    throw new IllegalStateException(tensor + " is not finite");
                }
                if (check == 2 && !(Float.isFinite(a.max().getFloat()) && Float.isFinite(a.min().getFloat()))) {
                    throw new IllegalStateException(tensor + " is not finite");
                }
            }
        }
    }

    /** Loads a checkpoint (memory-mapped, page cache warm) into a loaded architecture, SWAPS times. */
    private static void swaps(Path arch, Path checkpoint, Consumer<String> out) {
        try (TorchScriptArchitecture model = TorchScriptArchitecture.load(arch, Device.cpu());
             SafetensorsReader reader = SafetensorsReader.open(checkpoint)) {
            String name = arch.getParent().getFileName() + "/" + arch.getFileName();
            model.loadStateDict(reader); // warm-up: first-touch of the module's pages
            for (int i = 0; i < SWAPS; i++) {
                long start = System.nanoTime();
                model.loadStateDict(reader);
                out.accept(String.format(Locale.ROOT, "SWAP %s %d %.2f", name, reader.dataBytes(),
                        (System.nanoTime() - start) / 1e6));
            }
            finiteCheckCost(name, reader, out);
        }
    }
}
