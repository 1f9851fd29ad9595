package io.souper.bench;

import io.souper.events.AcceptRule;
import io.souper.events.EvaluationRequest;
import io.souper.events.EvaluationResult;
import io.souper.events.IngredientRef;
import io.souper.events.SoupDefinition;
import io.souper.events.SoupPolicy;
import io.souper.events.SplitMetrics;
import io.souper.events.SubjectKind;
import io.souper.kafka.EmbeddedStack;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.TopicNames;
import io.souper.metrics.SouperMetrics;
import io.souper.streams.SouperStreamsApp;
import io.souper.streams.SouperStreamsSettings;
import io.souper.web.HttpEndpoint;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.state.HostInfo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The souper alone: the embedded broker and registry, the exactly-once souper, and an
 * in-process oracle in place of the evaluator that answers every candidate request at once
 * with a deterministic accuracy. {@code soups x checkpoints} checkpoint results go in up
 * front (online policy, no checkpoint alone beats the first, so every checkpoint is one decision
 * and every later one one request); the oracle times, per soup,
 * from each answer it produces to the souper's next output for that soup (a request or a
 * decision), which is the loop a soup waits on. Not a test: run bench/souper/run.sh.
 * Arguments: [soups=1000] [checkpoints=20] [partitions=2] [stream threads=1] [timeout s=600]
 * [pace=0: all results up front; N: N checkpoint results per second, for latency at a sustainable load]
 * [warm-up soups=0: first a run of that many soups x 5 checkpoints, not measured, so the JIT has compiled the code].
 */
public final class SouperThroughput {

    /** What one run measured; {@code latenciesMs} are result-to-next-output, sorted. */
    public record Run(int soups, int checkpoints, long decisions, long requests, double seconds,
                      double[] latenciesMs, double[] decisionLatenciesMs, Map<String, Integer> decisionsPerSoup,
                      double[] commitFloorMs) {
        public double decisionsPerSecond() {
            return decisions / seconds;
        }

        /** Percentile of result-to-next-output. */
        public double percentileMs(double p) {
            return percentile(latenciesMs, p);
        }

        /** Percentile of the broker's commit floor (see {@link CommitFloor}). */
        public double commitFloorPercentileMs(double p) {
            return percentile(commitFloorMs, p);
        }

        /** Percentile of checkpoint-result-published to its decision read. */
        public double decisionPercentileMs(double p) {
            return percentile(decisionLatenciesMs, p);
        }

        private static double percentile(double[] sorted, double p) {
            if (sorted.length == 0) {
                return Double.NaN;
            }
            int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
            return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
        }
    }

    private SouperThroughput() {
    }

    public static void main(String[] args) throws Exception {
        int soups = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int checkpoints = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int partitions = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        Duration timeout = Duration.ofSeconds(args.length > 4 ? Long.parseLong(args[4]) : 600);
        double pace = args.length > 5 ? Double.parseDouble(args[5]) : 0;
        int warmupSoups = args.length > 6 ? Integer.parseInt(args[6]) : 0;
        Path dir = Files.createTempDirectory("souper-bench");
        if (warmupSoups > 0) {
            // The JVM compiles the broker's, Kafka Streams' and the souper's code while it runs: in a run of a
            // minute, the JIT compiler threads took more CPU than all the rest (per-thread CPU time, 2 cores).
            // A long-running souper pays that once, so the measured run comes after a smaller one on another stack.
            Run warm = run(dir.resolve("warmup"), warmupSoups, 5, partitions, threads, timeout, 0);
            System.out.printf(Locale.ROOT, "warm-up: %d soups x 5, %d decisions in %.1f s%n", warmupSoups,
                    warm.decisions(), warm.seconds());
        }
        Run run = run(dir.resolve("run"), soups, checkpoints, partitions, threads, timeout, pace);
        System.out.printf(Locale.ROOT, "%-6s %-4s %-4s %-4s %6s %10s %9s %11s %8s %8s %8s %10s %10s%n",
                "soups", "ckpt", "part", "thr", "pace/s", "decisions", "seconds", "decisions/s", "p50 ms", "p99 ms",
                "max ms", "dec p50 ms", "dec p99 ms");
        System.out.printf(Locale.ROOT, "%-6d %-4d %-4d %-4d %6.0f %10d %9.1f %11.0f %8.1f %8.1f %8.1f %10.1f %10.1f%n",
                soups, checkpoints, partitions, threads, pace, run.decisions(), run.seconds(), run.decisionsPerSecond(),
                run.percentileMs(50), run.percentileMs(99), run.percentileMs(100),
                run.decisionPercentileMs(50), run.decisionPercentileMs(99));
        System.out.printf(Locale.ROOT, "commit floor (a transaction over 7 partitions, 30 of them): p50 %.1f ms, p90 %.1f ms%n",
                run.commitFloorPercentileMs(50), run.commitFloorPercentileMs(90));
        System.exit(0); // the broker's and Streams' non-daemon threads are closed; do not wait on stragglers
    }

    /** Saturated: every checkpoint result published up front. */
    public static Run run(Path dir, int soups, int checkpoints, int partitions, int threads, Duration timeout)
            throws Exception {
        return run(dir, soups, checkpoints, partitions, threads, timeout, 0);
    }

    /**
     * @param pace checkpoint results published per second, spread evenly (round-robin over the soups);
     *             0 publishes them all up front (saturated: the throughput figure, whose latencies
     *             measure the backlog, not the souper)
     */
    public static Run run(Path dir, int soups, int checkpoints, int partitions, int threads, Duration timeout,
                          double pace) throws Exception {
        try (EmbeddedStack stack = EmbeddedStack.start(dir.resolve("stack"), 0, 0, partitions);
             SouperMetrics metrics = new SouperMetrics("streams");
             HttpEndpoint endpoint = new HttpEndpoint("localhost", 0, metrics).start()) {
            KafkaClientConfigs clients = stack.clientConfigs();
            SouperTopics topics = SouperTopics.forRegistry(clients.schemaRegistryUrl());
            try (SouperStreamsApp app = SouperStreamsApp.start(clients, topics, "souper-bench",
                    dir.resolve("streams"), threads, SouperStreamsSettings.defaults(), metrics,
                    new HostInfo("localhost", endpoint.port()))) {
                app.awaitRunning(Duration.ofSeconds(120));
                try (TimingOracle oracle = new TimingOracle(clients, topics, soups)) {
                    oracle.awaitAssigned(Duration.ofSeconds(60));
                    // the souper's commit touches ~7 partitions per task: candidates, decisions, updates and the
                    // changelogs of state, latest, decisions and the consumer offsets
                    double[] floor = CommitFloor.measure(clients, 7, 30);
                    long start = System.nanoTime();
                    feed(clients, topics, soups, checkpoints, pace, oracle.publishedAt);
                    long expected = (long) soups * checkpoints;
                    long deadline = start + timeout.toNanos();
                    while (oracle.decisions() < expected && System.nanoTime() < deadline) {
                        Thread.sleep(20);
                    }
                    long end = oracle.lastDecisionNanos();
                    oracle.stop();
                    return new Run(soups, checkpoints, oracle.decisions(), oracle.requests(), (end - start) / 1e9,
                            oracle.latenciesMs(), oracle.decisionLatenciesMs(), oracle.decisionsPerSoup(), floor);
                }
            }
        }
    }

    /** The definitions, then every checkpoint's result, as the CLI and the evaluator would publish them. */
    private static void feed(KafkaClientConfigs clients, SouperTopics topics, int soups, int checkpoints, double pace,
                             Map<String, Long> publishedAt) throws Exception {
        long t0 = System.currentTimeMillis();
        try (KafkaProducer<String, SoupDefinition> definitions = new KafkaProducer<>(clients.producer("bench-definitions"),
                topics.definitions.keySerde().serializer(), topics.definitions.valueSerde().serializer());
             KafkaProducer<String, EvaluationResult> results = new KafkaProducer<>(clients.producer("bench-results"),
                     topics.evaluations.keySerde().serializer(), topics.evaluations.valueSerde().serializer())) {
            for (int s = 0; s < soups; s++) {
                String soup = soupId(s);
                definitions.send(new ProducerRecord<>(TopicNames.DEFINITIONS, null, t0, soup, definition(soup)));
            }
            definitions.flush();
            long begin = System.nanoTime();
            long sent = 0;
            for (int c = 0; c < checkpoints; c++) {
                for (int s = 0; s < soups; s++) {
                    String soup = soupId(s);
                    String id = soup + "-c" + c;
                    if (pace > 0) {
                        // one result every 1/pace s; the wait ends on the schedule, not after the previous send,
                        // so the offered rate stays what was asked whatever a send costs
                        long due = begin + (long) (sent * 1e9 / pace);
                        long wait;
                        while ((wait = due - System.nanoTime()) > 0) {
                            java.util.concurrent.locks.LockSupport.parkNanos(wait);
                        }
                    }
                    publishedAt.put(id, System.nanoTime());
                    results.send(new ProducerRecord<>(TopicNames.EVALUATIONS, null, t0 + 1 + c, soup,
                            checkpoint(soup, id, c == 0 ? SEED_CORRECT : 600 + correctFor(List.of(ref(id))) % 250)));
                    sent++; // paced: the producer's linger (5 ms) sends it; a flush per result would cap the rate at one round trip each
                }
            }
            results.flush();
        }
    }

    /**
     * The first checkpoint scores above every later one alone, so none replaces the soup and
     * each later checkpoint is exactly one candidate request and one decision.
     */
    static final long SEED_CORRECT = 900;

    static String soupId(int i) {
        return String.format(Locale.ROOT, "soup-%04d", i);
    }

    /** Accuracy of a set, in thousandths: same set, same answer, whatever the order (as OracleEvaluator). */
    static long correctFor(List<IngredientRef> ingredients) {
        TreeSet<String> ids = new TreeSet<>();
        ingredients.forEach(i -> ids.add(i.getCheckpointId()));
        return 700 + Math.floorMod(String.join(",", ids).hashCode(), 250);
    }

    private static SoupDefinition definition(String soupId) {
        return SoupDefinition.newBuilder().setSoupId(soupId).setArchitectureUri("file:///models/cnn.pt")
                .setHeldOutUri("file:///data/heldout.safetensors").setPolicy(SoupPolicy.ONLINE)
                .setAcceptRule(AcceptRule.GREATER).setCreatedAt(Instant.ofEpochMilli(0)).build();
    }

    static IngredientRef ref(String checkpointId) {
        return IngredientRef.newBuilder().setCheckpointId(checkpointId)
                .setUri("file:///ckpt/" + checkpointId + ".safetensors").setSha256(null).build();
    }

    private static EvaluationResult checkpoint(String soupId, String checkpointId, long correct) {
        return EvaluationResult.newBuilder().setSubjectId(checkpointId).setSoupId(soupId)
                .setSubjectKind(SubjectKind.CHECKPOINT).setIngredients(List.of(ref(checkpointId)))
                .setRunId("run-" + checkpointId).setHyperParameters(Map.of("lr", "0.01"))
                .setHeldOut(split(correct)).setEvaluatedAt(Instant.ofEpochMilli(0)).build();
    }

    private static EvaluationResult answer(EvaluationRequest request) {
        return EvaluationResult.newBuilder().setSubjectId(request.getRequestId()).setSoupId(request.getSoupId())
                .setSubjectKind(SubjectKind.CANDIDATE).setBaseVersion(request.getBaseVersion())
                .setIngredients(request.getIngredients()).setHeldOut(split(correctFor(request.getIngredients())))
                .setArtifactUri("file:///artifacts/" + request.getRequestId())
                .setEvaluatedAt(Instant.ofEpochMilli(0)).build();
    }

    private static SplitMetrics split(long correct) {
        return SplitMetrics.newBuilder().setSplit("held-out").setCorrect(correct).setTotal(1000)
                .setAccuracy(correct / 1000.0).build();
    }

    /**
     * Reads the souper's committed requests and decisions, answers each request at once, and
     * times each answer to the soup's next output. One thread: its clock is the only one used.
     */
    private static final class TimingOracle implements AutoCloseable {
        private final Thread thread;
        private volatile boolean running = true;
        private volatile boolean assigned;
        private volatile long decisions;
        private volatile long requests;
        private volatile long lastDecisionNanos;
        private volatile Throwable failure;
        private final Map<String, Long> answeredAt = new HashMap<>();
        /** When the feeder published each checkpoint result (System.nanoTime, the same clock). */
        final Map<String, Long> publishedAt = new java.util.concurrent.ConcurrentHashMap<>();
        private double[] decisionLatencies = new double[1024];
        private int decisionLatencyCount;
        private final Map<String, Integer> decisionsPerSoup = new HashMap<>();
        private double[] latencies = new double[1024];
        private int latencyCount;

        TimingOracle(KafkaClientConfigs clients, SouperTopics topics, int soups) {
            thread = new Thread(() -> {
                try {
                    loop(clients, topics);
                } catch (Throwable t) {
                    failure = t;
                }
            }, "timing-oracle");
            thread.start();
        }

        private void loop(KafkaClientConfigs clients, SouperTopics topics) {
            var requestDecoder = topics.candidates.valueSerde().deserializer();
            var decisionDecoder = topics.decisions.valueSerde().deserializer();
            try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(clients.consumer("bench-oracle", "oracle"),
                    new StringDeserializer(), new ByteArrayDeserializer());
                 KafkaProducer<String, EvaluationResult> producer = new KafkaProducer<>(clients.producer("oracle"),
                         topics.evaluations.keySerde().serializer(), topics.evaluations.valueSerde().serializer())) {
                consumer.subscribe(List.of(TopicNames.CANDIDATES, TopicNames.DECISIONS));
                while (running) {
                    var records = consumer.poll(Duration.ofMillis(5));
                    if (!consumer.assignment().isEmpty()) {
                        assigned = true;
                    }
                    long now = System.nanoTime();
                    for (ConsumerRecord<String, byte[]> record : records) {
                        Long since = answeredAt.remove(record.key());
                        if (since != null) {
                            recordLatency((now - since) / 1e6);
                        }
                        if (record.topic().equals(TopicNames.DECISIONS)) {
                            decisionsPerSoup.merge(record.key(), 1, Integer::sum);
                            Long published = publishedAt.remove(decisionDecoder.deserialize(record.topic(),
                                    record.headers(), record.value()).getCheckpointId());
                            if (published != null) {
                                recordDecisionLatency((now - published) / 1e6);
                            }
                            lastDecisionNanos = now;
                            decisions++;
                        } else {
                            EvaluationRequest request = requestDecoder.deserialize(record.topic(), record.headers(),
                                    record.value());
                            producer.send(new ProducerRecord<>(TopicNames.EVALUATIONS, null, record.timestamp() + 1,
                                    record.key(), answer(request)));
                            requests++;
                        }
                    }
                    if (!records.isEmpty()) {
                        producer.flush();
                        long sent = System.nanoTime();
                        for (ConsumerRecord<String, byte[]> record : records) {
                            if (record.topic().equals(TopicNames.CANDIDATES)) {
                                answeredAt.put(record.key(), sent);
                            }
                        }
                    }
                }
            }
        }

        private void recordDecisionLatency(double ms) {
            if (decisionLatencyCount == decisionLatencies.length) {
                decisionLatencies = Arrays.copyOf(decisionLatencies, decisionLatencyCount * 2);
            }
            decisionLatencies[decisionLatencyCount++] = ms;
        }

        double[] decisionLatenciesMs() {
            double[] sorted = Arrays.copyOf(decisionLatencies, decisionLatencyCount);
            Arrays.sort(sorted);
            return sorted;
        }

        private void recordLatency(double ms) {
            if (latencyCount == latencies.length) {
                latencies = Arrays.copyOf(latencies, latencyCount * 2);
            }
            latencies[latencyCount++] = ms;
        }

        void awaitAssigned(Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!assigned) {
                check();
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the oracle got no partitions within " + timeout);
                }
                Thread.sleep(20);
            }
        }

        long decisions() {
            check();
            return decisions;
        }

        long requests() {
            return requests;
        }

        long lastDecisionNanos() {
            return lastDecisionNanos;
        }

        void stop() throws InterruptedException {
            running = false;
            thread.join(30_000);
            check();
        }

        private void check() {
            if (failure != null) {
                throw new IllegalStateException("the oracle failed", failure);
            }
        }

        /** Read after {@link #stop}: the oracle thread has ended, so its maps are safe to read. */
        double[] latenciesMs() {
            double[] sorted = Arrays.copyOf(latencies, latencyCount);
            Arrays.sort(sorted);
            return sorted;
        }

        Map<String, Integer> decisionsPerSoup() {
            return Map.copyOf(decisionsPerSoup);
        }

        @Override
        public void close() throws InterruptedException {
            stop();
        }
    }
}
