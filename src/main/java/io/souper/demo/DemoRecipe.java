package io.souper.demo;

import java.util.ArrayList;
import java.util.List;

/**
 * What the demo trains: how the data is cut, the shared pre-training run, and the sweep of
 * fine-tunes from it (a grid in the spirit of the paper's: learning rate, epochs, weight
 * decay, label smoothing, augmentation, seed). See bench/demo-regime/README.md for the
 * measurements behind the numbers.
 */
public record DemoRecipe(String name, SplitPlan splits, RunSpec pretrain, List<RunSpec> fineTunes) {

    public DemoRecipe {
        fineTunes = List.copyOf(fineTunes);
        if (fineTunes.isEmpty()) {
            throw new IllegalArgumentException("a demo needs at least one fine-tune");
        }
    }

    /**
     * The default demo, with {@code runs} fine-tunes and, if positive, that many epochs each:
     * 2 epochs of pre-training on 20,000 images, then short fine-tunes of 8,000 images each
     * (a seeded subset per run) at small learning rates. Short, gentle runs from a strong start
     * stay in its basin, so their average is worth having; the seeds, subsets and grid make
     * them differ (measured: with learning rates up to 0.03 the uniform soup fell 7 points and
     * greedy kept 3 of 12 by a tenth of a point). Sized for the 6-minute budget on a 2-core
     * machine (bench/demo/README.md).
     */
    public static DemoRecipe standard(int runs, int epochs) {
        RunSpec pretrain = new RunSpec("pretrain", 7, RunSpec.OptimizerKind.ADAMW, 0.002, RunSpec.Schedule.COSINE,
                2, 128, 0.0001, 0.0, 0, 0.0, RunSpec.TrainableLayers.ALL, 0, 1, 0);
        return new DemoRecipe("standard", SplitPlan.standard(), pretrain,
                sweep(runs, epochs, 8_000, new double[] {0.002, 0.004, 0.006, 0.01}));
    }

    /** For tests: small data, a few short runs; finishes in about a minute. */
    public static DemoRecipe quick(int runs, int epochs) {
        RunSpec pretrain = new RunSpec("pretrain", 7, RunSpec.OptimizerKind.ADAMW, 0.002, RunSpec.Schedule.COSINE,
                1, 128, 0.0001, 0.0, 0, 0.0, RunSpec.TrainableLayers.ALL, 0, 1, 4_000);
        return new DemoRecipe("quick", SplitPlan.quick(), pretrain,
                sweep(runs, epochs, 1_000, new double[] {0.005, 0.01, 0.02, 0.03}));
    }

    private static List<RunSpec> sweep(int runs, int epochs, int maxImages, double[] learningRates) {
        double[] weightDecays = {0.0, 0.0005};
        double[] smoothing = {0.0, 0.1, 0.05};
        List<RunSpec> specs = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            specs.add(new RunSpec(String.format("run-%02d", i + 1), 1000 + i, RunSpec.OptimizerKind.SGD_MOMENTUM,
                    learningRates[i % learningRates.length], RunSpec.Schedule.COSINE, epochs > 0 ? epochs : 1, 128,
                    weightDecays[i % weightDecays.length], smoothing[i % smoothing.length], i % 2 == 0 ? 0 : 2,
                    i % 4 == 1 ? 0.2 : 0.0, RunSpec.TrainableLayers.ALL, 0, 1, maxImages));
        }
        return specs;
    }
}
