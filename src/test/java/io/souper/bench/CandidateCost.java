package io.souper.scoring;

import ai.djl.Device;
import io.souper.checkpoint.Sha256;
import io.souper.checkpoint.FileBlobStore;
import io.souper.checkpoint.sharded.ShardedCheckpoint;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one candidate ("current soup + 1 checkpoint") costs as the soup grows, on the evaluator's
 * own path: {@link SoupSums#writeAverage} (averaging only; the running sum of the soup is cached, so
 * a candidate reads the sum and one checkpoint) and {@link EvaluationEngine#score} of a uniform
 * average on the held-out split (averaging, storing the artifact, loading it into the model and
 * scoring). One soup grows through the sizes asked for, so each size extends the previous sum. Per
 * size, the first candidate (which builds or extends the sum) is reported apart, then {@code repeats}
 * candidates are timed (with scoring, the first call per size is the one that extends the sum; the
 * averaging-only mode then finds it in place); bytes read are the process's read(2) bytes (/proc/self/io rchar) per
 * candidate. Prints one JSON line per size and mode.
 *
 * <p>Lives in package io.souper.scoring (the file sits with the other benchmarks) because
 * SoupSums is package-private. Not a test: run bench/candidate/run.sh.
 * Arguments: MODEL_DIR HELD_OUT_URI WORK_DIR REPEATS SIZE...; MODEL_DIR holds arch.pt and
 * ckpt0..ckptK-1.safetensors: the soup cycles through all but the last, which is the candidate.
 */
public final class CandidateCost {

    /** One size and mode: the seconds and read(2) bytes of each timed candidate. */
    public record Size(String mode, int soupSize, double firstSeconds, double[] seconds, long[] bytesRead) {
        public double median() {
            double[] sorted = seconds.clone();
            Arrays.sort(sorted);
            return sorted[sorted.length / 2];
        }

        String json() {
            double[] sorted = seconds.clone();
            Arrays.sort(sorted);
            return String.format(Locale.ROOT, "{\"mode\": \"%s\", \"soup\": %d, \"first_s\": %.3f, \"min_s\": %.3f, "
                            + "\"median_s\": %.3f, \"max_s\": %.3f, \"read_mb_median\": %.1f, \"java\": \"%s\"}",
                    mode, soupSize, firstSeconds, sorted[0], median(), sorted[sorted.length - 1],
                    Arrays.stream(bytesRead).sorted().toArray()[bytesRead.length / 2] / 1e6, Runtime.version());
        }
    }

    public static void main(String[] args) throws Exception {
        int[] sizes = Arrays.stream(args).skip(4).mapToInt(Integer::parseInt).toArray();
        for (Size size : run(Path.of(args[0]), args[1], Path.of(args[2]), Integer.parseInt(args[3]), sizes, true)) {
            System.out.println(size.json());
        }
    }

    public static List<Size> run(Path models, String heldOutUri, Path work, int repeats, int[] soupSizes,
                                 boolean score) throws IOException {
        List<Path> files = new ArrayList<>();
        for (int i = 0; Files.isRegularFile(models.resolve("ckpt" + i + ".safetensors")); i++) {
            files.add(models.resolve("ckpt" + i + ".safetensors"));
        }
        if (files.size() < 2) {
            throw new IllegalArgumentException(models + " holds fewer than two checkpoints ckptN.safetensors");
        }
        Files.createDirectories(work);
        Map<Path, String> hashes = new HashMap<>();
        for (Path f : files) {
            hashes.put(f, Sha256.of(f));
        }
        Path candidateFile = files.get(files.size() - 1);
        ResolvedIngredient candidate = ingredient("candidate", candidateFile, hashes);
        SoupData soup = new SoupData("bench", models.resolve("arch.pt").toUri().toString(), heldOutUri, null, Map.of());
        ScoringSettings settings = new ScoringSettings(List.of(models, work, Path.of(java.net.URI.create(heldOutUri).getPath())),
                work, Scorer.DEFAULT_BATCH_SIZE, 2, 2, 2, 10_000);
        List<Size> out = new ArrayList<>();
        try (EvaluationEngine engine = score ? new EvaluationEngine(settings, Device.cpu()) : null) {
            for (int n : soupSizes) {
                List<ResolvedIngredient> ingredients = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    ingredients.add(ingredient("c" + i, files.get(i % (files.size() - 1)), hashes));
                }
                if (engine != null) {
                    List<CheckpointRef> refs = new ArrayList<>();
                    ingredients.forEach(i -> refs.add(i.ref()));
                    refs.add(candidate.ref());
                    ScoringRequest request = new ScoringRequest("candidate-" + n, ScoringRequest.What.UNIFORM_AVERAGE,
                            soup, refs, ScoringRequest.Splits.HELD_OUT);
                    out.add(measure("average+score", n, repeats, () -> engine.score(request)));
                }
                // The engine keeps its sums in workDir/running-sums; a fresh SoupSums over the same directory
                // finds the sum the engine left (or extends its own), so the averaging-only mode reads it
                // from disk and never holds a stale view of a file the engine has replaced.
                SoupSums sums = new SoupSums(work.resolve("running-sums"), 2);
                out.add(measure("average", n, repeats, () -> sums.writeAverage("bench", ingredients, candidate,
                        OutputStream.nullOutputStream())));
            }
        }
        return out;
    }

    private static ResolvedIngredient ingredient(String id, Path file, Map<Path, String> hashes) {
        String uri = file.toUri().toString();
        return new ResolvedIngredient(new CheckpointRef(id, uri, hashes.get(file), Map.of()),
                ShardedCheckpoint.open(new FileBlobStore(List.of(file.getParent())), uri), hashes.get(file));
    }

    private static Size measure(String mode, int n, int repeats, Runnable candidate) throws IOException {
        long start = System.nanoTime();
        candidate.run(); // builds or extends the sum, and warms up
        double first = (System.nanoTime() - start) / 1e9;
        double[] seconds = new double[repeats];
        long[] bytes = new long[repeats];
        for (int r = 0; r < repeats; r++) {
            long before = readBytes();
            start = System.nanoTime();
            candidate.run();
            seconds[r] = (System.nanoTime() - start) / 1e9;
            bytes[r] = readBytes() - before;
        }
        return new Size(mode, n, first, seconds, bytes);
    }

    /** Bytes this process has read with read(2)/pread(2) so far, page cache included (Linux). */
    static long readBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
            if (line.startsWith("rchar:")) {
                return Long.parseLong(line.substring(6).trim());
            }
        }
        throw new IOException("/proc/self/io has no rchar line");
    }
}
