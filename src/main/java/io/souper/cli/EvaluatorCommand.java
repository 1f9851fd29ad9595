package io.souper.cli;

import io.souper.evaluator.EvaluatorService;
import io.souper.evaluator.EvaluatorSettings;
import io.souper.evaluator.Scorer;
import io.souper.kafka.SouperTopics;
import io.souper.metrics.SouperMetrics;
import io.souper.web.Health;
import io.souper.web.HttpEndpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "evaluator", mixinStandardHelpOptions = true,
        description = {"Run an evaluator: a member of a Kafka consumer group that scores every checkpoint "
                + "(souper.checkpoints) on its soup's held-out split, plus the test and shift splits the soup "
                + "defines, and every candidate soup or ensemble the souper asks for (souper.candidates; "
                + "candidates go first), answering on souper.evaluations. Candidate soups are averaged from a "
                + "running sum kept under --work-dir and stored content-addressed under the first store root's "
                + "artifacts/ directory. Failures are answered with a structured error and copied to souper.dlq. "
                + "Start one per GPU with the same --group-id to scale out. Serves /metrics and /health on "
                + "--http-port. Runs until Ctrl-C."})
public final class EvaluatorCommand implements Callable<Integer> {

    static final String STORE_ROOTS_ENV = "SOUPER_STORE_ROOTS";

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--store-root", paramLabel = "DIR",
            description = "Directory the evaluator may read checkpoints, architectures and data splits from; "
                    + "repeat for several. URIs outside every root are refused (URI_OUTSIDE_ROOTS). Averaged "
                    + "soups are written to <first root>/artifacts. Default: env " + STORE_ROOTS_ENV
                    + " (colon-separated).")
    List<Path> storeRoots = new ArrayList<>();

    @Option(names = "--work-dir", paramLabel = "DIR", defaultValue = "${env:SOUPER_WORK_DIR:-.souper/evaluator}",
            description = "The evaluator's scratch directory: running sums of soups (one fp64 copy of a model per "
                    + "soup), kept across restarts (env SOUPER_WORK_DIR; default: ${DEFAULT-VALUE}).")
    Path workDir;

    @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "${env:SOUPER_DEVICE:-auto}",
            description = "auto (the first GPU PyTorch sees, else the CPU), cpu, gpu or gpu:N. A GPU that is "
                    + "not there is an error, never a silent fallback (env SOUPER_DEVICE; default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "" + Scorer.DEFAULT_BATCH_SIZE,
            description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--group-id", paramLabel = "ID", defaultValue = EvaluatorSettings.DEFAULT_GROUP_ID,
            description = "Kafka consumer group shared by the instances of one evaluator pool "
                    + "(default: ${DEFAULT-VALUE}).")
    String groupId;

    @Option(names = "--architecture-cache", paramLabel = "N", defaultValue = "4",
            description = "Loaded TorchScript architectures kept between requests (default: ${DEFAULT-VALUE}).")
    int architectureCache;

    @Option(names = "--data-cache", paramLabel = "N", defaultValue = "16",
            description = "Data splits kept in memory between requests (default: ${DEFAULT-VALUE}).")
    int dataCache;

    @Option(names = "--running-sums", paramLabel = "N", defaultValue = "64",
            description = "Soups whose running sum is kept in --work-dir; the least recently used is deleted "
                    + "beyond that (default: ${DEFAULT-VALUE}).")
    int runningSums;

    @Option(names = "--http-port", paramLabel = "PORT", defaultValue = "${env:SOUPER_HTTP_PORT:-8082}",
            description = "Port of /metrics (Prometheus) and /health; 0 picks a free one "
                    + "(env SOUPER_HTTP_PORT; default: ${DEFAULT-VALUE}).")
    int httpPort;

    /** Environment lookup, replaceable in tests. */
    Map<String, String> environment = System.getenv();

    @Override
    public Integer call() throws Exception {
        EvaluatorSettings settings = settings();
        try (SouperMetrics metrics = new SouperMetrics("evaluator");
             HttpEndpoint endpoint = new HttpEndpoint("0.0.0.0", httpPort, metrics).start();
             EvaluatorService service = EvaluatorService.start(connection.clientConfigs(),
                     SouperTopics.forRegistry(connection.schemaRegistryUrl), settings, metrics)) {
            endpoint.health(() -> Health.consumer("evaluator", service.isRunning(), service.assignment().size()));
            System.out.println("souper evaluator running on " + service.device() + " (group " + settings.groupId()
                    + ", store roots " + settings.storeRoots() + "); metrics at " + endpoint.url() + "/metrics");
            System.out.flush();
            // If the service dies (e.g. out of memory), stop waiting for Ctrl-C and exit non-zero.
            Thread main = Thread.currentThread();
            service.termination().whenComplete((ok, error) -> {
                if (error != null) {
                    main.interrupt();
                }
            });
            try {
                Foreground.awaitStop();
            } catch (InterruptedException e) {
                throw new IllegalStateException("the evaluator stopped: " + service.termination().handle(
                        (ok, error) -> String.valueOf(error)).getNow("unknown error"), e);
            }
        }
        return 0;
    }

    EvaluatorSettings settings() {
        List<Path> roots = new ArrayList<>(storeRoots);
        if (roots.isEmpty()) {
            String fromEnv = environment.get(STORE_ROOTS_ENV);
            if (fromEnv != null) {
                for (String part : fromEnv.split(":")) {
                    if (!part.isBlank()) {
                        roots.add(Path.of(part.trim()));
                    }
                }
            }
        }
        if (roots.isEmpty()) {
            throw new IllegalArgumentException("no store root: give --store-root DIR (repeatable) or set "
                    + STORE_ROOTS_ENV + " (colon-separated)");
        }
        return EvaluatorSettings.defaults(roots, workDir)
                .withDevice(device)
                .withBatchSize(batchSize)
                .withGroupId(groupId)
                .withCacheSizes(architectureCache, dataCache, runningSums);
    }

}
