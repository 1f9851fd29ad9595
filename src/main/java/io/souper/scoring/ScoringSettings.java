package io.souper.scoring;

import java.nio.file.Path;
import java.util.List;

/**
 * What an {@link EvaluationEngine} needs to know; the service that runs it owns the defaults.
 *
 * @param storeRoots          checkpoints, architectures and data must lie inside one of these; averages
 *                            are written under the first
 * @param workDir             scratch space kept across restarts (the soups' running sums)
 * @param batchSize           images per forward pass
 * @param architectureCacheSize loaded architectures kept between requests
 * @param dataCacheSize       data splits kept in memory
 * @param runningSumCacheSize soups whose running sum is kept on disk
 * @param hashCacheSize       files whose sha256 (and checkpoints whose hyper-parameters) are remembered
 */
public record ScoringSettings(List<Path> storeRoots, Path workDir, int batchSize, int architectureCacheSize,
                              int dataCacheSize, int runningSumCacheSize, int hashCacheSize) {

    public ScoringSettings {
        storeRoots = List.copyOf(storeRoots);
    }
}
