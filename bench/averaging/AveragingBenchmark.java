package io.souper.bench;

import io.souper.checkpoint.ArtifactManifest;
import io.souper.checkpoint.FileCheckpointStore;
import io.souper.checkpoint.SafetensorsReader;
import io.souper.checkpoint.StoredArtifact;
import io.souper.checkpoint.WeightAverager;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Averages safetensors checkpoints with Souper's WeightAverager and prints one JSON line.
 *
 * usage: AveragingBenchmark [--mapped] (--out FILE | --store ROOT) IN...
 *   --out FILE    plain average written to FILE
 *   --store ROOT  average written as a content-addressed artifact (sha256 + fsync + manifest)
 */
public final class AveragingBenchmark {

    public static void main(String[] args) throws Exception {
        WeightAverager.ReadMode mode = WeightAverager.ReadMode.POSITIONAL;
        Path out = null;
        Path storeRoot = null;
        List<Path> inputs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--mapped" -> mode = WeightAverager.ReadMode.MAPPED;
                case "--out" -> out = Path.of(args[++i]);
                case "--store" -> storeRoot = Path.of(args[++i]);
                default -> inputs.add(Path.of(args[i]));
            }
        }
        if (inputs.isEmpty() || (out == null) == (storeRoot == null)) {
            System.err.println("usage: AveragingBenchmark [--mapped] (--out FILE | --store ROOT) IN...");
            System.exit(2);
        }
        long bytesRead = 0;
        for (Path input : inputs) {
            try (SafetensorsReader reader = SafetensorsReader.open(input)) {
                bytesRead += reader.dataBytes();
            }
        }
        WeightAverager averager = new WeightAverager(mode);
        long start = System.nanoTime();
        String sha = "";
        if (out != null) {
            try (OutputStream stream = new BufferedOutputStream(Files.newOutputStream(out), 1 << 20)) {
                averager.average(inputs, stream);
            }
        } else {
            FileCheckpointStore store = new FileCheckpointStore(List.of(storeRoot));
            StoredArtifact artifact = store.writeArtifact(stream -> averager.average(inputs, stream),
                    new ArtifactManifest(ArtifactManifest.UNIFORM_AVERAGE, List.of(), Map.of()));
            sha = artifact.sha256();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Runtime rt = Runtime.getRuntime();
        System.out.printf("{\"seconds\": %.3f, \"bytes_read\": %d, \"gb_per_s\": %.3f, \"mode\": \"%s\", "
                        + "\"max_heap_mb\": %d, \"sha256\": \"%s\"}%n",
                seconds, bytesRead, bytesRead / seconds / 1e9, mode, rt.maxMemory() >> 20, sha);
    }
}
