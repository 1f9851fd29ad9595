package io.souper.demo;

import ai.djl.Device;
import io.souper.checkpoint.SafetensorsReader;
import io.souper.data.FashionMnist;
import io.souper.data.LabeledImages;
import io.souper.data.PixelNormalisation;
import io.souper.scoring.Scorer;
import io.souper.scoring.TorchScriptArchitecture;
import java.nio.file.Path;
import java.util.Optional;

/** Manual probe: DJL pre-training + one fine-tune, timed. Args: architecture.pt workdir [pretrainImages] [epochs]. */
public final class DemoTrainingProbe {
    public static void main(String[] args) {
        Path arch = Path.of(args[0]);
        Path work = Path.of(args[1]);
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 10000;
        int epochs = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        LabeledImages train = FashionMnist.load(FashionMnist.DEBIAN_DIRECTORY, "train");
        LabeledImages pre = train.slice("pre", 0, n);
        LabeledImages held = train.slice("held", 55000, 60000);
        FineTuner pretrainer = new FineTuner(arch, Optional.empty(), pre, PixelNormalisation.FASHION_MNIST,
                work.resolve("pre"));
        RunSpec spec = new RunSpec("pretrain", 0, RunSpec.OptimizerKind.ADAMW, 0.002, RunSpec.Schedule.COSINE,
                epochs, 128, 0.0001, 0, 0, 0, RunSpec.TrainableLayers.ALL, 0, 1, 0);
        RunResult r = pretrainer.run(spec);
        System.out.printf("pretrain: loss %.4f, %d images in %.1fs = %.0f img/s, resumed %s%n", r.finalTrainLoss(),
                r.imagesSeen(), r.trainSeconds(), r.imagesPerSecond(), r.resumed());
        try (TorchScriptArchitecture a = TorchScriptArchitecture.load(arch, Device.cpu());
             SafetensorsReader ck = SafetensorsReader.open(r.checkpoint())) {
            a.loadStateDict(ck);
            Scorer scorer = new Scorer(a, Scorer.DEFAULT_BATCH_SIZE);
            long t = System.nanoTime();
            var s = scorer.score(held);
            System.out.printf("held-out accuracy %.2f%% (%.0f img/s)%n", 100 * s.accuracy(),
                    held.size() / ((System.nanoTime() - t) / 1e9));
        }
        FineTuner tuner = new FineTuner(arch, Optional.of(r.checkpoint()), train.slice("ft", 20000, 55000),
                PixelNormalisation.FASHION_MNIST, work.resolve("ft"));
        RunSpec ft = new RunSpec("ft-0", 1, RunSpec.OptimizerKind.SGD_MOMENTUM, 0.01, RunSpec.Schedule.COSINE,
                1, 128, 0.0005, 0.1, 2, 0.2, RunSpec.TrainableLayers.ABOVE_CONV1, 0, 1, 5000);
        RunResult f = tuner.run(ft);
        System.out.printf("fine-tune: loss %.4f, %d images in %.1fs = %.0f img/s%n", f.finalTrainLoss(),
                f.imagesSeen(), f.trainSeconds(), f.imagesPerSecond());
        try (TorchScriptArchitecture a = TorchScriptArchitecture.load(arch, Device.cpu());
             SafetensorsReader ck = SafetensorsReader.open(f.checkpoint())) {
            a.loadStateDict(ck);
            System.out.printf("fine-tuned held-out accuracy %.2f%%%n", 100 * new Scorer(a, Scorer.DEFAULT_BATCH_SIZE).score(held).accuracy());
        }
    }
}
