package io.souper.cli;

import io.souper.demo.DemoRecipe;
import io.souper.demo.DemoRun;
import io.souper.evaluator.EvaluatorSettings;
import io.souper.kafka.EmbeddedStack;
import io.souper.streams.SouperStreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"The all-in-one demo: one JVM runs a Kafka broker, the schema registry, the evaluator, the "
                + "souper and the web page, and a training cluster fine-tunes real models on Fashion-MNIST with DJL "
                + "and publishes each checkpoint through Kafka. Greedy soups (sorted and online) grow while training "
                + "goes on; at the end the paper's table for this run is printed and written to report.md, "
                + "report.json and figure1.svg under DATA_DIR/demo. Killed half-way, it resumes: finished runs are "
                + "not trained again."})
public final class DemoCommand implements Callable<Integer> {

    static final String DEFAULT_TIMEOUT = "PT20M";

    @Option(names = "--data-dir", defaultValue = EmbeddedStack.DEFAULT_DATA_DIR,
            description = "Where everything is kept: Kafka, soup state, splits, checkpoints, report "
                    + "(env SOUPER_DATA_DIR; default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--data", paramLabel = "DIR",
            description = "Fashion-MNIST IDX files (env SOUPER_DATA; default: /usr/share/datasets/fashion-mnist "
                    + "from Debian's dataset-fashion-mnist, else a download of the official files).")
    Path fashionMnist;

    @Option(names = "--runs", description = "Fine-tuning runs (env SOUPER_RUNS; default: 12, or 4 with --quick).")
    Integer runs;

    @Option(names = "--epochs", description = "Epochs of every fine-tune (env SOUPER_EPOCHS; default: the recipe's).")
    Integer epochs;

    @Option(names = "--quick", description = "Small data and short runs (about a minute), for tests and a first look "
            + "(env SOUPER_QUICK=true).")
    boolean quick;

    @Option(names = "--http-port", defaultValue = "" + SouperStreamsConfig.DEFAULT_HTTP_PORT,
            description = "Port of the web page, the soup API and /metrics; 0 picks a free one "
                    + "(env SOUPER_HTTP_PORT; default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--device", defaultValue = EvaluatorSettings.DEFAULT_DEVICE,
            description = "Where the evaluator runs the models: auto (GPU if DJL sees one), cpu, gpu, gpu:N "
                    + "(env SOUPER_DEVICE; default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--timeout", defaultValue = DEFAULT_TIMEOUT,
            description = "How long to wait for the soups after the last run, ISO-8601 "
                    + "(env SOUPER_TIMEOUT; default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        int k = runs != null ? runs : quick ? 4 : 12;
        int e = epochs != null ? epochs : 0;
        if (k < 1) {
            throw new IllegalArgumentException("--runs must be at least 1, got " + k);
        }
        DemoRecipe recipe = quick ? DemoRecipe.quick(k, e) : DemoRecipe.standard(k, e);
        new DemoRun(new DemoRun.Options(dataDir, Optional.ofNullable(fashionMnist), recipe, httpPort, device, timeout,
                DemoRun.defaultTrainers()),
                System.out).run();
        return 0;
    }
}
