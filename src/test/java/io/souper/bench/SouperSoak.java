package io.souper.bench;

import io.souper.soup.Acceptance;
import io.souper.soup.Accuracy;
import io.souper.soup.CandidateRequest;
import io.souper.soup.CandidateScored;
import io.souper.soup.CheckpointScored;
import io.souper.soup.Policy;
import io.souper.soup.SoupInput;
import io.souper.soup.SoupState;
import io.souper.soup.SoupStep;
import io.souper.soup.Souper;
import io.souper.streams.StoreNames;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksIterator;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The soak (issue 12, item 4): {@link SouperThroughput}'s run (embedded broker, exactly-once
 * souper, its instant in-process oracle in place of the evaluator) at 200 soups x 126 checkpoints,
 * i.e. 25,200 checkpoint results and 25,000 candidate results through Kafka. Meanwhile the heap
 * after each GC is sampled (the JVM holds the broker and the souper together); afterwards every
 * soup-state RocksDB store is compacted and measured, and every soup's state, decoded from the
 * store on disk, must equal what the pure core computes from the same inputs and the same
 * oracle. Not a test: run bench/soak/run.sh. Arguments: [soups=200] [checkpoints=126] [partitions=2]
 * [timeout s=3600].
 */
public final class SouperSoak {

    private SouperSoak() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 4 && args[0].equals("--check")) {
            List<String> problems = new ArrayList<>();
            checkStores(Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]), problems);
            System.out.println(problems.isEmpty() ? "every soup's final state equals the pure core's"
                    : problems.size() + " problems: " + problems.subList(0, Math.min(20, problems.size())));
            System.exit(problems.isEmpty() ? 0 : 1);
        }
        int soups = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int checkpoints = args.length > 1 ? Integer.parseInt(args[1]) : 126;
        int partitions = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        Duration timeout = Duration.ofSeconds(args.length > 3 ? Long.parseLong(args[3]) : 3600);
        Path dir = Files.createTempDirectory("souper-soak");
        HeapSampler heap = new HeapSampler(Duration.ofSeconds(5));
        SouperThroughput.Run run;
        try {
            run = SouperThroughput.run(dir, soups, checkpoints, partitions, 1, timeout);
        } finally {
            heap.stop();
        }
        long events = run.decisions() + run.requests();
        System.out.printf(Locale.ROOT, "soak: %d soups x %d checkpoints: %d checkpoint results + %d candidate results"
                        + " = %d evaluation events, %d decisions in %.1f s: %.0f decisions/s, %.0f events/s%n",
                soups, checkpoints, (long) soups * checkpoints, run.requests(), (long) soups * checkpoints + run.requests(),
                run.decisions(), run.seconds(), run.decisionsPerSecond(),
                ((long) soups * checkpoints + run.requests()) / run.seconds());
        // saturated (every result published up front), so these measure how long the backlog takes to drain
        System.out.printf(Locale.ROOT, "latency, answer to the soup's next output: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                run.percentileMs(50), run.percentileMs(99), run.percentileMs(100));
        System.out.printf(Locale.ROOT, "latency, checkpoint result published to its decision: p50 %.1f ms, p99 %.1f ms%n",
                run.decisionPercentileMs(50), run.decisionPercentileMs(99));
        System.out.printf(Locale.ROOT, "commit floor (a transaction over 7 partitions): p50 %.1f ms, p90 %.1f ms%n",
                run.commitFloorPercentileMs(50), run.commitFloorPercentileMs(90));
        System.out.print(heap.report());

        List<String> problems = new ArrayList<>();
        if (run.decisions() != (long) soups * checkpoints) {
            problems.add("expected " + (long) soups * checkpoints + " decisions, read " + run.decisions());
        }
        checkStores(dir, soups, checkpoints, problems);
        System.out.println(problems.isEmpty() ? "every soup's final state equals the pure core's"
                : problems.size() + " problems: " + problems.subList(0, Math.min(20, problems.size())));
        System.exit(problems.isEmpty() ? 0 : 1);
    }

    /**
     * Compacts and measures every soup-state store under {@code dir}/streams and checks each soup's state
     * against the pure core. {@code --check DIR soups checkpoints} runs only this, on a soak's kept directory.
     */
    static void checkStores(Path dir, int soups, int checkpoints, List<String> problems) throws Exception {
        Map<String, SoupState> onDisk = new HashMap<>();
        long before = 0;
        long after = 0;
        List<Path> stores;
        try (Stream<Path> walk = Files.walk(dir.resolve("streams"))) {
            stores = walk.filter(p -> p.getFileName().toString().equals(StoreNames.STATE)
                    && p.getParent().getFileName().toString().equals("rocksdb")).toList();
        }
        RocksDB.loadLibrary();
        for (Path store : stores) {
            before += size(store);
            // Kafka Streams 4.x keeps the store's committed offsets in a column family of its own ("offsets"):
            // RocksDB opens a store only with all its column families; the soups are in the default one
            List<ColumnFamilyDescriptor> families = new ArrayList<>();
            try (Options options = new Options()) {
                for (byte[] name : RocksDB.listColumnFamilies(options, store.toString())) {
                    families.add(new ColumnFamilyDescriptor(name));
                }
            }
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            try (DBOptions options = new DBOptions(); RocksDB db = RocksDB.open(options, store.toString(), families, handles)) {
                try {
                    for (ColumnFamilyHandle handle : handles) {
                        db.compactRange(handle);
                    }
                    try (RocksIterator it = db.newIterator(db.getDefaultColumnFamily())) {
                        for (it.seekToFirst(); it.isValid(); it.next()) {
                            onDisk.put(new String(it.key(), StandardCharsets.UTF_8), SoupState.decode(it.value()));
                        }
                    }
                } finally {
                    handles.forEach(ColumnFamilyHandle::close);
                }
            }
            after += size(store);
        }
        System.out.printf(Locale.ROOT, "RocksDB soup-state: %d stores, %d soups, %.2f MiB before compaction, %.2f MiB after"
                + " (%.0f bytes per soup)%n", stores.size(), onDisk.size(), before / 1048576.0, after / 1048576.0,
                (double) after / Math.max(1, onDisk.size()));

        for (int s = 0; s < soups; s++) {
            String soup = SouperThroughput.soupId(s);
            SoupState expected = offline(soup, checkpoints);
            SoupState actual = onDisk.get(soup);
            if (actual == null) {
                problems.add(soup + ": no state on disk");
            } else if (!actual.publishedIngredientIds().equals(expected.publishedIngredientIds())
                    || actual.version() != expected.version()
                    || !actual.publishedHeldOut().equals(expected.publishedHeldOut())
                    || !actual.tally().equals(expected.tally())
                    || actual.decisionCount() != expected.decisionCount()
                    || actual.requestInFlight().isPresent()) {
                problems.add(soup + ": souper v" + actual.version() + " " + actual.publishedIngredientIds() + " "
                        + actual.tally() + " != core v" + expected.version() + " " + expected.publishedIngredientIds()
                        + " " + expected.tally());
            }
        }
    }

    /**
     * The pure core on the inputs SouperThroughput publishes (online policy, accept {@code >}),
     * answered by its oracle: every checkpoint arrives, then requests are answered one by one.
     * The online policy tries checkpoints in arrival order, one at a time, so the end state does
     * not depend on how results and answers interleaved on the way.
     */
    static SoupState offline(String soup, int checkpoints) {
        SoupState state = SoupState.create(soup, Policy.ONLINE, Acceptance.GREATER);
        ArrayDeque<CandidateRequest> requests = new ArrayDeque<>();
        long now = 0;
        for (int c = 0; c < checkpoints; c++) {
            String id = soup + "-c" + c;
            long correct = c == 0 ? SouperThroughput.SEED_CORRECT
                    : 600 + SouperThroughput.correctFor(List.of(SouperThroughput.ref(id))) % 250;
            SoupStep step = Souper.step(state, new CheckpointScored(id, "file:///ckpt/" + id + ".safetensors", null,
                    "run-" + id, Map.of("lr", "0.01"), new Accuracy(correct, 1000), null), ++now);
            step.request().ifPresent(requests::add);
        }
        while (!requests.isEmpty()) {
            CandidateRequest r = requests.poll();
            long correct = SouperThroughput.correctFor(r.ingredientIds().stream().map(SouperThroughput::ref).toList());
            SoupInput answer = new CandidateScored(r.requestId(), r.baseVersion(), new LinkedHashSet<>(r.ingredientIds()),
                    new Accuracy(correct, 1000));
            Optional<CandidateRequest> next = Souper.step(state, answer, ++now).request();
            next.ifPresent(requests::add);
        }
        return state;
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    /** The heap in use just after the last collection (all heap pools), sampled on a timer. */
    static final class HeapSampler {
        private final List<double[]> samples = new ArrayList<>(); // {seconds, MiB}
        private final Thread thread;
        private final long start = System.nanoTime();
        private volatile boolean running = true;

        HeapSampler(Duration every) {
            thread = new Thread(() -> {
                while (running) {
                    sample();
                    try {
                        Thread.sleep(every.toMillis());
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "heap-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        private synchronized void sample() {
            long used = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null) {
                    used += pool.getCollectionUsage().getUsed();
                }
            }
            samples.add(new double[]{(System.nanoTime() - start) / 1e9, used / 1048576.0});
        }

        void stop() throws InterruptedException {
            running = false;
            thread.interrupt();
            thread.join();
            System.gc();
            sample();
        }

        /** Max in each quarter of the run: a leak shows as a rising sequence. */
        synchronized String report() {
            StringBuilder s = new StringBuilder("heap after GC (MiB), max per quarter of the run:");
            int n = samples.size();
            for (int q = 0; q < 4; q++) {
                double max = 0;
                for (int i = q * n / 4; i < (q + 1) * n / 4; i++) {
                    max = Math.max(max, samples.get(i)[1]);
                }
                s.append(String.format(Locale.ROOT, " %.0f", max));
            }
            s.append(String.format(Locale.ROOT, "; after the run and a full GC: %.0f (%d samples, every 5 s)%n",
                    samples.get(n - 1)[1], n));
            return s.toString();
        }
    }
}
