package io.souper.cli;

import io.souper.evaluator.EvaluatorService;
import io.souper.evaluator.EvaluatorSettings;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.TopicNames;
import io.souper.metrics.ConsumerLag;
import io.souper.metrics.SouperMetrics;
import io.souper.web.Health;
import io.souper.web.HttpEndpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    // one variable for a repeatable option: colon-separated, like PATH
    @EnvironmentVariable(STORE_ROOTS_ENV)
    @Option(names = "--store-root", paramLabel = "DIR", split = ":", splitSynopsisLabel = ":",
            description = "Directory the evaluator may read checkpoints, architectures and data splits from; "
                    + "repeat for several. URIs outside every root are refused (URI_OUTSIDE_ROOTS). Averaged "
                    + "soups are written to <first root>/artifacts unless --artifact-store says otherwise (env "
                    + STORE_ROOTS_ENV
                    + ", colon-separated; required).")
    List<Path> storeRoots = new ArrayList<>();

    @Mixin
    ObjectStoreOptions objectStore;

    @Option(names = "--artifact-store", paramLabel = "URI",
            description = "Where averaged soups are published, content-addressed with a manifest: a directory "
                    + "under a store root, or s3://bucket/prefix/ inside --s3-allow (env SOUPER_ARTIFACT_STORE; "
                    + "default: <first root>/artifacts).")
    String artifactStore;

    @Option(names = "--work-dir", paramLabel = "DIR", defaultValue = EvaluatorSettings.DEFAULT_WORK_DIR,
            description = "The evaluator's scratch directory: running sums of soups (one fp64 copy of a model per "
                    + "soup), kept across restarts (env SOUPER_WORK_DIR; default: ${DEFAULT-VALUE}).")
    Path workDir;

    @Option(names = "--device", paramLabel = "DEVICE", defaultValue = EvaluatorSettings.DEFAULT_DEVICE,
            description = "auto (the first GPU PyTorch sees, else the CPU), cpu, gpu or gpu:N. A GPU that is "
                    + "not there is an error, never a silent fallback (env SOUPER_DEVICE; default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "" + EvaluatorSettings.DEFAULT_BATCH_SIZE,
            description = "Images per forward pass (env SOUPER_BATCH_SIZE; default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--group-id", paramLabel = "ID", defaultValue = EvaluatorSettings.DEFAULT_GROUP_ID,
            description = "Kafka consumer group shared by the instances of one evaluator pool "
                    + "(env SOUPER_GROUP_ID; default: ${DEFAULT-VALUE}).")
    String groupId;

    @Option(names = "--architecture-cache", paramLabel = "N",
            defaultValue = "" + EvaluatorSettings.DEFAULT_ARCHITECTURE_CACHE_SIZE,
            description = "Loaded TorchScript architectures kept between requests "
                    + "(env SOUPER_ARCHITECTURE_CACHE; default: ${DEFAULT-VALUE}).")
    int architectureCache;

    @Option(names = "--data-cache", paramLabel = "N", defaultValue = "" + EvaluatorSettings.DEFAULT_DATA_CACHE_SIZE,
            description = "Data splits kept in memory between requests (env SOUPER_DATA_CACHE; "
                    + "default: ${DEFAULT-VALUE}).")
    int dataCache;

    @Option(names = "--running-sums", paramLabel = "N",
            defaultValue = "" + EvaluatorSettings.DEFAULT_RUNNING_SUM_CACHE_SIZE,
            description = "Soups whose running sum is kept in --work-dir; the least recently used is deleted "
                    + "beyond that (env SOUPER_RUNNING_SUMS; default: ${DEFAULT-VALUE}).")
    int runningSums;

    @Option(names = "--http-port", paramLabel = "PORT", defaultValue = "" + EvaluatorSettings.DEFAULT_HTTP_PORT,
            description = "Port of /metrics (Prometheus) and /health; 0 picks a free one "
                    + "(env SOUPER_HTTP_PORT; default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--crash-attempts", paramLabel = "N", defaultValue = "" + EvaluatorSettings.DEFAULT_CRASH_ATTEMPTS,
            description = "How many times one record may stop the evaluator (out of memory, a native crash) before "
                    + "the restarted evaluator answers it as REPEATED_CRASH and dead-letters it instead of trying "
                    + "again; the count is kept with the group's committed offsets "
                    + "(env SOUPER_CRASH_ATTEMPTS; default: ${DEFAULT-VALUE}).")
    int crashAttempts;

    @Override
    public Integer call() throws Exception {
        EvaluatorSettings settings = settings();
        KafkaClientConfigs clients = connection.connect();
        try (SouperMetrics metrics = new SouperMetrics("evaluator");
             HttpEndpoint endpoint = new HttpEndpoint("0.0.0.0", httpPort, metrics).start()
                     // not ready before the service runs: starting (loading models, reading definitions) takes a while
                     .health(() -> Health.notReady("evaluator starting"));
             EvaluatorService service = EvaluatorService.start(clients, clients.topics(), settings, metrics)) {
            metrics.watchConsumerLag(clients.admin(), TopicNames.names(), ConsumerLag.DEFAULT_INTERVAL);
            endpoint.health(() -> service.isRunning() && !service.brokerReachable()
                    ? Health.notReady("evaluator waiting for the broker (unreachable)")
                    : Health.consumer("evaluator", service.isRunning(), service.assignment().size()));
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
        // "a::b" in the variable leaves an empty part, which is no directory
        List<Path> roots = storeRoots.stream().filter(root -> !root.toString().isBlank()).toList();
        if (roots.isEmpty()) {
            throw new IllegalArgumentException("no store root: give --store-root DIR (repeatable) or set "
                    + STORE_ROOTS_ENV + " (colon-separated)");
        }
        return EvaluatorSettings.defaults(roots, workDir)
                .withDevice(device)
                .withBatchSize(batchSize)
                .withGroupId(groupId)
                .withCacheSizes(architectureCache, dataCache, runningSums)
                .withCrashAttempts(crashAttempts)
                .withObjectStore(objectStore.settings(), artifactStore == null || artifactStore.isBlank() ? null
                        : Uris.of(artifactStore));
    }

}
