package io.souper.scoring;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.souper.errors.SouperException;
import io.souper.checkpoint.CheckpointErrorCode;
import io.souper.checkpoint.RunningSum;
import io.souper.checkpoint.SafetensorsReader;
import io.souper.checkpoint.Sha256;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running sum of each soup's current ingredients, on disk under the work directory, so
 * scoring "soup + one checkpoint" reads that one checkpoint and the sum, not every ingredient.
 *
 * <p>The souper names a candidate as the soup's ingredients in join order followed by the
 * checkpoint it tries. If the cached sum holds exactly that soup, it is used as is (a hit); if
 * it holds a prefix of it (the last candidate was accepted), the missing ingredients are added
 * (an extension, one checkpoint read each); otherwise (a sorted soup replayed from a new best,
 * or a soup replaced) the sum is rebuilt from scratch. Ingredients match by checkpoint id, URI
 * and sha256, so a checkpoint id reused for other bytes is never served from a stale sum.
 *
 * <p>Each soup's directory holds {@code sum.safetensors} (see {@link RunningSum}) and
 * {@code ingredients.json}; both are replaced atomically, and a pair that disagrees after a crash
 * is discarded and rebuilt. Sums survive restarts. At most {@code capacity} soups keep a sum;
 * the least recently used one's directory is deleted. Not thread-safe.
 */
final class SoupSums {

    private static final Logger LOG = LoggerFactory.getLogger(SoupSums.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SUM_FILE = "sum.safetensors";
    private static final String INGREDIENTS_FILE = "ingredients.json";

    /** What one ingredient of a cached sum was: the same id, URI and bytes match. */
    record Key(String checkpointId, String uri, String sha256) {
        static Key of(ResolvedIngredient i) {
            return new Key(i.checkpointId(), i.ref().uri(), i.sha256());
        }
    }

    private record Entry(Path dir, RunningSum sum, List<Key> keys) {
    }

    /** Counters since start: how sums were obtained and how many checkpoint files were read to average. */
    record Stats(long hits, long extensions, long rebuilds, long checkpointsRead) {
    }

    private final Path root;
    private final BoundedLru<String, Entry> entries;
    private long hits;
    private long extensions;
    private long rebuilds;
    private long checkpointsRead;

    SoupSums(Path root, int capacity) {
        this.root = root.toAbsolutePath().normalize();
        try {
            Files.createDirectories(this.root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create running-sum directory " + this.root, e);
        }
        this.entries = new BoundedLru<>(capacity, (soup, entry) -> deleteQuietly(entry.dir()));
    }

    /**
     * Writes the uniform average of {@code soup} (in join order) followed by {@code candidate} to
     * {@code out}, updating the soup's cached sum to exactly {@code soup} on the way.
     */
    void writeAverage(String soupId, List<ResolvedIngredient> soup, ResolvedIngredient candidate, OutputStream out) {
        RunningSum sum = sumOf(soupId, soup);
        checkpointsRead++;
        try (SafetensorsReader reader = candidate.reader()) {
            sum.averageWith(reader, out);
        }
    }

    /** The running sum of exactly {@code soup}, from the cache, extended, or rebuilt. */
    RunningSum sumOf(String soupId, List<ResolvedIngredient> soup) {
        if (soup.isEmpty()) {
            return RunningSum.empty();
        }
        List<Key> wanted = soup.stream().map(Key::of).toList();
        Entry cached = entries.get(soupId).or(() -> loadFromDisk(soupId)).orElse(null);
        if (cached != null && cached.keys().equals(wanted)) {
            hits++;
            entries.put(soupId, cached);
            return cached.sum();
        }
        Path dir = dirOf(soupId);
        RunningSum sum;
        int from;
        if (cached != null && isPrefix(cached.keys(), wanted)) {
            sum = cached.sum();
            from = cached.keys().size();
            extensions++;
        } else {
            sum = RunningSum.empty();
            from = 0;
            rebuilds++;
        }
        try {
            Files.createDirectories(dir);
            // The listing is removed first: a sum file that changed without its listing is never trusted.
            Files.deleteIfExists(dir.resolve(INGREDIENTS_FILE));
            for (ResolvedIngredient ingredient : soup.subList(from, soup.size())) {
                try (SafetensorsReader reader = ingredient.reader()) {
                    sum = sum.add(ingredient.checkpointId(), reader, dir.resolve(SUM_FILE));
                }
                checkpointsRead++;
            }
            writeListing(dir, wanted);
        } catch (IOException e) {
            entries.remove(soupId);
            deleteQuietly(dir);
            throw new SouperException(CheckpointErrorCode.IO_ERROR,
                    "running sum of soup " + soupId + " in " + dir + ": " + e, e);
        } catch (RuntimeException e) {
            entries.remove(soupId);
            deleteQuietly(dir);
            throw e;
        }
        Entry fresh = new Entry(dir, sum, wanted);
        entries.put(soupId, fresh);
        return sum;
    }

    Stats stats() {
        return new Stats(hits, extensions, rebuilds, checkpointsRead);
    }

    private Optional<Entry> loadFromDisk(String soupId) {
        Path dir = dirOf(soupId);
        Path sumFile = dir.resolve(SUM_FILE);
        Path listing = dir.resolve(INGREDIENTS_FILE);
        if (!Files.isRegularFile(sumFile) || !Files.isRegularFile(listing)) {
            return Optional.empty();
        }
        try {
            List<Key> keys = JSON.readValue(listing.toFile(), new TypeReference<List<Key>>() { });
            RunningSum sum = RunningSum.open(sumFile);
            if (!sum.ingredientIds().equals(keys.stream().map(Key::checkpointId).toList())) {
                LOG.warn("running sum of soup {} disagrees with its listing; rebuilding it", soupId);
                deleteQuietly(dir);
                return Optional.empty();
            }
            Entry entry = new Entry(dir, sum, List.copyOf(keys));
            entries.put(soupId, entry);
            return Optional.of(entry);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot reuse the running sum of soup {} in {} ({}); rebuilding it", soupId, dir, e.toString());
            deleteQuietly(dir);
            return Optional.empty();
        }
    }

    private static void writeListing(Path dir, List<Key> keys) throws IOException {
        Path temp = dir.resolve(INGREDIENTS_FILE + ".tmp");
        Files.writeString(temp, JSON.writeValueAsString(keys), StandardCharsets.UTF_8);
        Files.move(temp, dir.resolve(INGREDIENTS_FILE), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    private static boolean isPrefix(List<Key> prefix, List<Key> of) {
        return prefix.size() <= of.size() && of.subList(0, prefix.size()).equals(prefix);
    }

    /** A readable, collision-free directory name for any soup id. */
    private Path dirOf(String soupId) {
        String readable = soupId.replaceAll("[^A-Za-z0-9._-]", "_");
        if (readable.length() > 64) {
            readable = readable.substring(0, 64);
        }
        String digest = Sha256.hex(Sha256.newDigest().digest(soupId.getBytes(StandardCharsets.UTF_8)));
        return root.resolve(readable + "-" + digest.substring(0, 16));
    }

    /** Deletes a working directory and what is in it; a failure is logged, never thrown (it is scratch space). */
    static void deleteQuietly(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.warn("cannot delete {}: {}", p, e.toString());
                }
            });
        } catch (IOException e) {
            LOG.warn("cannot delete {}: {}", dir, e.toString());
        }
    }
}
