package io.souper.bench;

import io.souper.checkpoint.ArtifactManifest;
import io.souper.checkpoint.FileCheckpointStore;
import io.souper.checkpoint.RunningSum;
import io.souper.checkpoint.SafetensorsReader;
import io.souper.checkpoint.StoredArtifact;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Averages safetensors checkpoints the way the evaluator does (SoupSums in io.souper.scoring):
 * the running sum of the soup's ingredients (all inputs but the last), built one checkpoint at a
 * time as on a cold start or a replayed soup, then the candidate (the last input) averaged with
 * that sum, which is what every later candidate costs. Prints one JSON line with both timings.
 *
 * usage: AveragingBenchmark --work DIR (--out FILE | --store ROOT) IN...
 *   --work DIR    where the running sums go
 *   --out FILE    the candidate average written to FILE
 *   --store ROOT  the candidate average written as a content-addressed artifact (sha256 + fsync + manifest)
 */
public final class AveragingBenchmark {

    public static void main(String[] args) throws Exception {
        Path work = null;
        Path out = null;
        Path storeRoot = null;
        List<Path> inputs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--work" -> work = Path.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--store" -> storeRoot = Path.of(args[++i]);
                default -> inputs.add(Path.of(args[i]));
            }
        }
        if (inputs.size() < 2 || work == null || (out == null) == (storeRoot == null)) {
            System.err.println("usage: AveragingBenchmark --work DIR (--out FILE | --store ROOT) IN IN...");
            System.exit(2);
        }
        Files.createDirectories(work);
        List<Path> soup = inputs.subList(0, inputs.size() - 1);
        Path candidate = inputs.get(inputs.size() - 1);

        long start = System.nanoTime();
        RunningSum sum = RunningSum.empty();
        for (int i = 0; i < soup.size(); i++) {
            sum = sum.add("ckpt" + i, soup.get(i), work.resolve("sum-" + (i % 2) + ".safetensors"));
        }
        double sumSeconds = (System.nanoTime() - start) / 1e9;

        RunningSum soupSum = sum;
        long candidateBytes = dataBytes(candidate) + dataBytes(soupSum.file().orElseThrow());
        start = System.nanoTime();
        String sha = "";
        if (out != null) {
            try (OutputStream stream = new BufferedOutputStream(Files.newOutputStream(out), 1 << 20)) {
                soupSum.averageWith(candidate, stream);
            }
        } else {
            FileCheckpointStore store = new FileCheckpointStore(List.of(storeRoot));
            StoredArtifact artifact = store.writeArtifact(stream -> soupSum.averageWith(candidate, stream),
                    new ArtifactManifest(ArtifactManifest.UNIFORM_AVERAGE, List.of(), Map.of()));
            sha = artifact.sha256();
        }
        double candidateSeconds = (System.nanoTime() - start) / 1e9;
        long soupBytes = 0;
        for (Path input : soup) {
            soupBytes += dataBytes(input);
        }
        Runtime rt = Runtime.getRuntime();
        System.out.printf("{\"sum_of_%d_seconds\": %.3f, \"sum_gb_per_s\": %.3f, \"candidate_seconds\": %.3f, "
                        + "\"candidate_gb_per_s\": %.3f, \"max_heap_mb\": %d, \"sha256\": \"%s\"}%n",
                soup.size(), sumSeconds, soupBytes / sumSeconds / 1e9, candidateSeconds,
                candidateBytes / candidateSeconds / 1e9, rt.maxMemory() >> 20, sha);
    }

    private static long dataBytes(Path file) {
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            return reader.dataBytes();
        }
    }
}
