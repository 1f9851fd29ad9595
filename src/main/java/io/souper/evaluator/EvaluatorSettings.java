package io.souper.evaluator;

import io.souper.checkpoint.s3.S3Settings;
import io.souper.scoring.Devices;
import io.souper.scoring.Scorer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How an evaluator runs.
 *
 * @param storeRoots        directories the evaluator may read from: checkpoints, architectures and
 *                          data splits must lie inside one of them (a URI outside is refused with
 *                          URI_OUTSIDE_ROOTS); averaged artifacts are written to
 *                          {@code <first root>/artifacts}
 * @param workDir           the evaluator's own scratch space: the running sums of soups, kept
 *                          across restarts
 * @param device            {@code auto}, {@code cpu}, {@code gpu} or {@code gpu:N} (see {@link Devices})
 * @param batchSize         images per forward pass
 * @param architectureCacheSize loaded TorchScript architectures kept between requests
 * @param dataCacheSize     data splits kept in memory between requests
 * @param runningSumCacheSize soups whose running sum is kept on disk (each is one model of fp64)
 * @param hashCacheSize     files whose sha256 is remembered (keyed by path, size and modification time)
 * @param groupId           Kafka consumer group; every instance of one evaluator pool shares it
 * @param maxPollRecords    records fetched per poll; they wait in a local queue, so keep it modest
 * @param definitionCatchUp how long to read souper.definitions to its end when a soup is unknown
 * @param crashAttempts     how many times a record may stop the evaluator (out of memory, a native
 *                          crash) before the restarted evaluator answers it as REPEATED_CRASH and
 *                          dead-letters it instead of trying again
 * @param objectStore       how to reach {@code s3://} checkpoints, architectures and artifacts; empty:
 *                          s3:// URIs are refused
 * @param artifactsUri      where averaged soups are published (a directory URI ending in '/',
 *                          {@code file:} inside a root or {@code s3:} inside the allow-list); null:
 *                          {@code <first root>/artifacts/}
 */
public record EvaluatorSettings(List<Path> storeRoots, Path workDir, String device, int batchSize,
                                int architectureCacheSize, int dataCacheSize, int runningSumCacheSize,
                                int hashCacheSize, String groupId, int maxPollRecords, Duration definitionCatchUp,
                                int crashAttempts, Optional<S3Settings> objectStore, String artifactsUri) {

    public static final String DEFAULT_GROUP_ID = "souper-evaluator";
    public static final String DEFAULT_DEVICE = "auto";
    public static final String DEFAULT_WORK_DIR = ".souper/evaluator";
    public static final int DEFAULT_BATCH_SIZE = Scorer.DEFAULT_BATCH_SIZE;
    public static final int DEFAULT_ARCHITECTURE_CACHE_SIZE = 4;
    public static final int DEFAULT_DATA_CACHE_SIZE = 16;
    public static final int DEFAULT_RUNNING_SUM_CACHE_SIZE = 64;
    public static final int DEFAULT_HASH_CACHE_SIZE = 10_000;
    public static final int DEFAULT_MAX_POLL_RECORDS = 100;
    public static final String DEFAULT_DEFINITION_CATCH_UP = "PT10S";
    public static final int DEFAULT_CRASH_ATTEMPTS = 3;
    /** /metrics and /health of the evaluator process. */
    public static final int DEFAULT_HTTP_PORT = 8082;

    public EvaluatorSettings {
        storeRoots = List.copyOf(Objects.requireNonNull(storeRoots, "storeRoots"));
        if (storeRoots.isEmpty()) {
            throw new IllegalArgumentException("the evaluator needs at least one store root");
        }
        Objects.requireNonNull(workDir, "workDir");
        device = device == null || device.isBlank() ? DEFAULT_DEVICE : device;
        positive("batch size", batchSize);
        positive("architecture cache size", architectureCacheSize);
        positive("data cache size", dataCacheSize);
        positive("running-sum cache size", runningSumCacheSize);
        positive("hash cache size", hashCacheSize);
        positive("max poll records", maxPollRecords);
        positive("crash attempts", crashAttempts);
        if (groupId == null || groupId.isBlank()) {
            throw new IllegalArgumentException("the evaluator needs a consumer group id");
        }
        objectStore = objectStore == null ? Optional.empty() : objectStore;
        if (artifactsUri != null && !artifactsUri.endsWith("/")) {
            artifactsUri = artifactsUri + "/";
        }
        if (definitionCatchUp == null || definitionCatchUp.isNegative() || definitionCatchUp.isZero()) {
            throw new IllegalArgumentException("definition catch-up must be a positive duration, got " + definitionCatchUp);
        }
    }

    /** Defaults: auto device, batch 256, 4 architectures, 16 splits, 64 soups' sums, group souper-evaluator. */
    public static EvaluatorSettings defaults(List<Path> storeRoots, Path workDir) {
        return new EvaluatorSettings(storeRoots, workDir, DEFAULT_DEVICE, DEFAULT_BATCH_SIZE,
                DEFAULT_ARCHITECTURE_CACHE_SIZE, DEFAULT_DATA_CACHE_SIZE, DEFAULT_RUNNING_SUM_CACHE_SIZE,
                DEFAULT_HASH_CACHE_SIZE, DEFAULT_GROUP_ID, DEFAULT_MAX_POLL_RECORDS,
                Duration.parse(DEFAULT_DEFINITION_CATCH_UP), DEFAULT_CRASH_ATTEMPTS, Optional.empty(), null);
    }

    public EvaluatorSettings withDevice(String newDevice) {
        return new EvaluatorSettings(storeRoots, workDir, newDevice, batchSize, architectureCacheSize, dataCacheSize,
                runningSumCacheSize, hashCacheSize, groupId, maxPollRecords, definitionCatchUp, crashAttempts, objectStore, artifactsUri);
    }

    public EvaluatorSettings withBatchSize(int newBatchSize) {
        return new EvaluatorSettings(storeRoots, workDir, device, newBatchSize, architectureCacheSize, dataCacheSize,
                runningSumCacheSize, hashCacheSize, groupId, maxPollRecords, definitionCatchUp, crashAttempts, objectStore, artifactsUri);
    }

    public EvaluatorSettings withGroupId(String newGroupId) {
        return new EvaluatorSettings(storeRoots, workDir, device, batchSize, architectureCacheSize, dataCacheSize,
                runningSumCacheSize, hashCacheSize, newGroupId, maxPollRecords, definitionCatchUp, crashAttempts, objectStore, artifactsUri);
    }

    public EvaluatorSettings withCacheSizes(int architectures, int dataSplits, int runningSums) {
        return new EvaluatorSettings(storeRoots, workDir, device, batchSize, architectures, dataSplits, runningSums,
                hashCacheSize, groupId, maxPollRecords, definitionCatchUp, crashAttempts, objectStore, artifactsUri);
    }

    public EvaluatorSettings withMaxPollRecords(int records) {
        return new EvaluatorSettings(storeRoots, workDir, device, batchSize, architectureCacheSize, dataCacheSize,
                runningSumCacheSize, hashCacheSize, groupId, records, definitionCatchUp, crashAttempts, objectStore,
                artifactsUri);
    }

    public EvaluatorSettings withCrashAttempts(int attempts) {
        return new EvaluatorSettings(storeRoots, workDir, device, batchSize, architectureCacheSize, dataCacheSize,
                runningSumCacheSize, hashCacheSize, groupId, maxPollRecords, definitionCatchUp, attempts, objectStore,
                artifactsUri);
    }

    /** Reads s3:// URIs through {@code store} and publishes soups to {@code artifacts} (null: the default). */
    public EvaluatorSettings withObjectStore(Optional<S3Settings> store, String artifacts) {
        return new EvaluatorSettings(storeRoots, workDir, device, batchSize, architectureCacheSize, dataCacheSize,
                runningSumCacheSize, hashCacheSize, groupId, maxPollRecords, definitionCatchUp, crashAttempts, store,
                artifacts);
    }

    private static void positive(String what, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(what + " must be positive, got " + value);
        }
    }
}
