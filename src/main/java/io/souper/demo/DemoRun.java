package io.souper.demo;

import io.souper.data.PixelNormalisation;
import io.souper.events.CheckpointReady;
import io.souper.events.IngredientRef;
import io.souper.events.SoupDefinition;
import io.souper.kafka.EventPublisher;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.report.ReportAnswers;
import io.souper.report.ReportPlan;
import io.souper.report.ReportScores;
import io.souper.report.SoupHistory;
import io.souper.report.SoupReport;
import io.souper.events.SoupUpdated;
import io.souper.kafka.TopicReader;
import io.souper.scoring.TorchThreads;
import io.souper.web.SoupApiClient;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * {@code souper demo}: the training cluster and the all-in-one Souper, end to end. Cuts
 * Fashion-MNIST like the paper cuts ImageNet, pre-trains a shared start once, fine-tunes
 * the sweep with DJL and publishes every checkpoint through Kafka exactly as an external
 * training job would; the evaluator scores and the souper soups while training goes on.
 * At the end the evaluator scores the baselines (uniform soup, logit ensemble, the final
 * soups on every split) and the paper's table is written for this run.
 *
 * <p>Everything lands under the data directory, so a demo killed half-way resumes: split
 * files, the pre-trained start and finished runs are reused, published checkpoints are not
 * published again, and Kafka and the souper keep their state.
 */
public final class DemoRun {

    /**
     * @param fashionMnist {@code --data}; empty: $SOUPER_DATA, Debian's package, or a download
     * @param trainers     fine-tunes trained at once ({@link #defaultTrainers()})
     */
    public record Options(Path dataDir, Optional<Path> fashionMnist, DemoRecipe recipe, int httpPort, String device,
                          Duration settleTimeout, int trainers) {
        public Options {
            if (trainers < 1) {
                throw new IllegalArgumentException("at least one trainer is needed, got " + trainers);
            }
        }
    }

    /**
     * As many fine-tunes at once as libtorch's intra-op pools fit on the cores: on the 2-core demo
     * machine each run trains on one thread (see {@link TorchThreads}), so two runs train side by
     * side and the evaluator scores in their gaps; on a larger machine one run gets every core but one.
     */
    public static int defaultTrainers() {
        int intraOp = Integer.getInteger(TorchThreads.INTRA_OP_PROPERTY, TorchThreads.defaultIntraOpThreads());
        return Math.max(1, Runtime.getRuntime().availableProcessors() / Math.max(1, intraOp));
    }

    private static final String MODEL_RESOURCE = "/models/fmnist_cnn.pt";

    private final Options options;
    private final PrintStream out;

    public DemoRun(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    public SoupReport run() throws Exception {
        long started = System.nanoTime();
        DemoRecipe recipe = options.recipe();
        Path dataDir = options.dataDir().toAbsolutePath();
        Path demoDir = dataDir.resolve("demo");
        Files.createDirectories(demoDir);

        // The souper starts (broker, registry, streams, evaluator: mostly waiting on each other)
        // while the splits are cut and the shared start is pre-trained on one core.
        CompletableFuture<AllInOne> starting = CompletableFuture.supplyAsync(() -> startSouper(dataDir),
                daemonThread("souper-start"));
        SplitFiles splits;
        Path architecture;
        RunResult start;
        long pretrainStart;
        try {
            Path fashionMnist = new FashionMnistSource().locate(options.fashionMnist(), System.getenv(),
                    dataDir.resolve("downloads"));
            out.println("Fashion-MNIST from " + fashionMnist);
            splits = SplitFiles.ensure(fashionMnist, demoDir, recipe.splits());
            out.println("splits in " + splits.directory() + ": " + String.join(", ", splits.files().keySet()));
            architecture = extractModel(demoDir);
            pretrainStart = System.nanoTime();
            FineTuner pretrainer = new FineTuner(architecture, Optional.empty(), splits.load(SplitFiles.PRETRAIN),
                    PixelNormalisation.FASHION_MNIST, demoDir.resolve("pretrain"));
            start = pretrainer.run(recipe.pretrain());
        } catch (Exception | Error e) {
            starting.thenAccept(AllInOne::close);
            throw e;
        }
        out.printf(Locale.ROOT, "pre-trained start %s (%s, loss %.3f)%n", start.checkpoint().getFileName(),
                start.resumed() ? "reused" : String.format(Locale.ROOT, "%.0f s", seconds(pretrainStart)),
                start.finalTrainLoss());

        int k = recipe.fineTunes().size();
        List<RunResult> runs = new ArrayList<>();
        long trainingNanos;
        long soupingStart;
        try (AllInOne souper = awaitSouper(starting)) {
            out.println("Souper is up: web page and API at " + souper.url() + " (evaluator on " + souper.device() + ")");
            SouperTopics topics = souper.topics();
            KafkaClientConfigs clients = souper.clients();
            for (SoupDefinition definition : DemoSoups.definitions(architecture.toUri(), splits)) {
                EventPublisher.publish(clients, topics.definitions, definition.getSoupId(), definition);
            }
            FineTuner tuner = new FineTuner(architecture, Optional.of(start.checkpoint()),
                    splits.load(SplitFiles.FINETUNE), PixelNormalisation.FASHION_MNIST, demoDir.resolve("runs"));
            try (DemoConsole console = new DemoConsole(clients, topics, k, out)) {
                long trainingStart = System.nanoTime();
                trainAll(tuner, recipe.fineTunes(), run -> {
                    runs.add(run);
                    out.printf(Locale.ROOT, "  trained  %-10s %s  loss %.3f  %s%n", run.runId(),
                            run.resumed() ? "(finished earlier)" : String.format(Locale.ROOT, "in %.0f s, %.0f img/s",
                                    run.trainSeconds(), run.imagesPerSecond()),
                            run.finalTrainLoss(), Progress.bar(runs.size(), k));
                    publishOnce(clients, topics, run, demoDir.resolve("runs"));
                });
                trainingNanos = System.nanoTime() - trainingStart;
                soupingStart = System.nanoTime();
                // waiting for the soups, via the same API dashboards use
                SoupApiClient api = new SoupApiClient(souper.url());
                Map<String, Set<String>> settled = new LinkedHashMap<>();
                for (String soup : DemoSoups.SOUPED) {
                    settled.put(soup, new TreeSet<>(api.awaitSettled(soup, k, options.settleTimeout()).ingredients()));
                }
                awaitOnTopic(clients, topics, settled);
            }
            SoupReport report = report(clients, topics, runs, recipe, splits, started, trainingNanos / 1e9,
                    soupingStart, souper.device());
            report.writeTo(demoDir);
            out.println();
            out.println(report.markdown());
            out.println("report: " + demoDir.resolve(SoupReport.MARKDOWN_FILE) + ", "
                    + demoDir.resolve(SoupReport.JSON_FILE) + ", " + demoDir.resolve(SoupReport.SVG_FILE));
            out.printf(Locale.ROOT, "demo finished in %.0f s%n", seconds(started));
            return report;
        }
    }

    // ---- the training cluster: parallel workers, each run published as soon as it is done ----

    private interface Finished {
        void accept(RunResult run) throws IOException;
    }

    /**
     * Trains every run on {@link Options#trainers} workers and hands each result to {@code finished}
     * on this thread, in the order the runs finish (the order a real cluster's checkpoints arrive
     * in), so the evaluator scores earlier runs while later ones train. Runs finished by an earlier
     * demo come first, in run order (two trainers would otherwise hand them over in a racy order).
     * The first failure stops the others.
     */
    private void trainAll(FineTuner tuner, List<RunSpec> specs, Finished finished) throws Exception {
        List<RunSpec> toTrain = new ArrayList<>();
        for (RunSpec spec : specs) {
            Optional<RunResult> earlier = tuner.finished(spec);
            if (earlier.isPresent()) {
                finished.accept(earlier.get());
            } else {
                toTrain.add(spec);
            }
        }
        if (toTrain.isEmpty()) {
            return;
        }
        int workers = Math.max(1, Math.min(options.trainers(), toTrain.size()));
        ExecutorService pool = Executors.newFixedThreadPool(workers, daemonThreads("trainer"));
        try {
            CompletionService<RunResult> done = new ExecutorCompletionService<>(pool);
            for (RunSpec spec : toTrain) {
                done.submit(() -> tuner.run(spec));
            }
            for (int i = 0; i < toTrain.size(); i++) {
                try {
                    finished.accept(done.take().get());
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof Exception ex) {
                        throw ex;
                    }
                    throw (Error) cause;
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private AllInOne startSouper(Path dataDir) {
        try {
            return AllInOne.start(dataDir, List.of(dataDir), options.httpPort(), options.device());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CompletionException(e);
        }
    }

    private static AllInOne awaitSouper(CompletableFuture<AllInOne> starting) throws Exception {
        try {
            return starting.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause()
                    : e.getCause();
            if (cause instanceof Exception ex) {
                throw ex;
            }
            throw (Error) cause;
        }
    }

    private static Executor daemonThread(String name) {
        return task -> {
            Thread t = new Thread(task, name);
            t.setDaemon(true);
            t.start();
        };
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return task -> {
            Thread t = new Thread(task, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    // ---- the training cluster's side: one CheckpointReady per soup, once ----

    private void publishOnce(KafkaClientConfigs clients, SouperTopics topics, RunResult run, Path runsDir) throws IOException {
        Path marker = runsDir.resolve(run.runId() + ".published");
        if (Files.exists(marker) && Files.readString(marker).trim().equals(run.sha256())) {
            return;
        }
        for (String soup : DemoSoups.SOUPED) {
            CheckpointReady event = CheckpointReady.newBuilder()
                    .setCheckpointId(run.runId())
                    .setSoupId(soup)
                    .setUri(run.checkpoint().toUri().toString())
                    .setSha256(run.sha256())
                    .setSizeBytes(Files.size(run.checkpoint()))
                    .setRunId(run.runId())
                    .setStep(run.imagesSeen())
                    .setHyperParameters(run.hyperParameters())
                    .setMetrics(Map.of("final_train_loss", run.finalTrainLoss(), "train_seconds", run.trainSeconds()))
                    .setProducedAt(Instant.now())
                    .build();
            EventPublisher.publish(clients, topics.checkpoints, soup, event);
        }
        Files.writeString(marker, run.sha256());
    }

    // ---- the report: asked of the evaluator as report requests, like `souper report` ----

    /**
     * Waits until souper.updates shows the soups the API says they settled on: the API reads the
     * souper's state store at once, the topic shows an update only when the souper's transaction
     * commits, and the baselines and the report read the topic (measured: a report asked for
     * the final soup's scores one update too early and found none).
     */
    private void awaitOnTopic(KafkaClientConfigs clients, SouperTopics topics, Map<String, Set<String>> settled)
            throws InterruptedException {
        long deadline = System.nanoTime() + options.settleTimeout().toNanos();
        while (true) {
            Map<String, SoupUpdated> onTopic = finalSoups(clients, topics);
            boolean caughtUp = settled.entrySet().stream().allMatch(e -> onTopic.containsKey(e.getKey())
                    && new TreeSet<>(onTopic.get(e.getKey()).getIngredients().stream()
                    .map(i -> i.getCheckpointId()).toList()).equals(e.getValue()));
            if (caughtUp) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("souper.updates did not show the settled soups " + settled
                        + " within " + options.settleTimeout());
            }
            Thread.sleep(200);
        }
    }

    private static Map<String, SoupUpdated> finalSoups(KafkaClientConfigs clients, SouperTopics topics) {
        Map<String, SoupUpdated> latest = new LinkedHashMap<>();
        for (var record : TopicReader.readAll(clients, topics.updates)) {
            if (DemoSoups.SOUPED.contains(record.key())) {
                latest.put(record.key(), record.value());
            }
        }
        return latest;
    }

    private SoupReport report(KafkaClientConfigs clients, SouperTopics topics, List<RunResult> runs,
                              DemoRecipe recipe, SplitFiles splits, long started, double trainingSeconds,
                              long soupingStart, String device) {
        List<IngredientRef> checkpoints = runs.stream().map(r -> IngredientRef.newBuilder().setCheckpointId(r.runId())
                .setUri(r.checkpoint().toUri().toString()).setSha256(r.sha256()).build()).toList();
        ReportPlan plan = new ReportPlan(DemoSoups.SORTED, checkpoints,
                SoupHistory.read(clients, topics, DemoSoups.SORTED).greedy(),
                Optional.of(SoupHistory.read(clients, topics, DemoSoups.ONLINE).greedy()));
        out.println("  scoring the report: every run alone, the uniform soup and the ensemble of all " + runs.size()
                + ", and both greedy soups, on every split");
        ReportScores scores = ReportScores.of(ReportAnswers.collect(clients, topics, plan.requests(Instant.now()),
                options.settleTimeout(), line -> out.println("  report: " + line)));
        List<String> setup = List.of(
                String.format(Locale.ROOT, "recipe `%s`: %d fine-tunes of the demo CNN (GroupNorm) from one pre-trained start",
                        recipe.name(), runs.size()),
                "splits: held-out " + recipe.splits().heldout() + " images carved from Fashion-MNIST train (never trained on), "
                        + "test " + recipe.splits().test() + ", shifts " + String.join(", ", splits.shiftNames())
                        + " (" + recipe.splits().shiftImages() + " corrupted test images each)",
                String.format(Locale.ROOT, "time: %.0f s in all; training %.0f s; souping and the report after the last run %.0f s; evaluator on %s",
                        seconds(started), trainingSeconds, seconds(soupingStart), device));
        return plan.report(scores, "Souper demo: greedy soups on Fashion-MNIST", setup);
    }

    private static Path extractModel(Path demoDir) throws IOException {
        Path target = demoDir.resolve("model").resolve("fmnist_cnn.pt");
        Files.createDirectories(target.getParent());
        try (InputStream in = DemoRun.class.getResourceAsStream(MODEL_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the demo model " + MODEL_RESOURCE + " is missing from the jar");
            }
            Path temp = Files.createTempFile(target.getParent(), "model", ".tmp");
            Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return target;
    }

    private static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }
}
