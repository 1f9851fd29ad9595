package io.souper.scoring;

import io.souper.checkpoint.s3.S3Settings;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What an {@link EvaluationEngine} needs to know; the service that runs it owns the defaults.
 *
 * @param storeRoots          {@code file:} checkpoints, architectures and data must lie inside one of these
 * @param workDir             scratch space kept across restarts (the soups' running sums, staged soups,
 *                            architectures fetched from an object store)
 * @param batchSize           images per forward pass
 * @param architectureCacheSize loaded architectures kept between requests
 * @param dataCacheSize       data splits kept in memory
 * @param runningSumCacheSize soups whose running sum is kept on disk
 * @param hashCacheSize       files whose sha256 (and checkpoints whose hyper-parameters) are remembered
 * @param objectStore         how to reach {@code s3://} URIs; empty: they are refused (BAD_URI)
 * @param artifactsUri        where averaged soups are published, a directory URI ending in '/'
 *                            ({@code file:} under a root, or {@code s3:}); null: {@code <first root>/artifacts/}
 */
public record ScoringSettings(List<Path> storeRoots, Path workDir, int batchSize, int architectureCacheSize,
                              int dataCacheSize, int runningSumCacheSize, int hashCacheSize,
                              Optional<S3Settings> objectStore, String artifactsUri) {

    public ScoringSettings {
        storeRoots = List.copyOf(storeRoots);
        objectStore = objectStore == null ? Optional.empty() : objectStore;
        if (artifactsUri == null) {
            artifactsUri = defaultArtifactsUri(storeRoots.get(0));
        }
    }

    /** Only local stores: artifacts under {@code <first root>/artifacts/}. */
    public ScoringSettings(List<Path> storeRoots, Path workDir, int batchSize, int architectureCacheSize,
                           int dataCacheSize, int runningSumCacheSize, int hashCacheSize) {
        this(storeRoots, workDir, batchSize, architectureCacheSize, dataCacheSize, runningSumCacheSize,
                hashCacheSize, Optional.empty(), null);
    }

    /** The default artifact location: {@code <root>/artifacts/}. */
    public static String defaultArtifactsUri(Path firstRoot) {
        String uri = firstRoot.toAbsolutePath().normalize().resolve("artifacts").toUri().toString();
        return uri.endsWith("/") ? uri : uri + "/";
    }
}
