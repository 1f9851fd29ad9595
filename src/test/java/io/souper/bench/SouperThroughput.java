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
 * Arguments: [soups=1000] [checkpoints=20] [partitions=2] [stream threads=1] [timeout s=600].
 */
public final class SouperThroughput {

    /** What one run measured; {@code latenciesMs} are result-to-next-output, sorted. */
    public record Run(int soups, int checkpoints, long decisions, long requests, double seconds,
                      double[] latenciesMs, Map<String, Integer> decisionsPerSoup) {
        public double decisionsPerSecond() {
            return decisions / seconds;
        }

        public double percentileMs(double p) {
            if (latenciesMs.length == 0) {
                return Double.NaN;
            }
            int i = (int) Math.ceil(p / 100.0 * latenciesMs.length) - 1;
            return latenciesMs[Math.max(0, Math.min(latenciesMs.length - 1, i))];
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
        Path dir = Files.createTempDirectory("souper-bench");
        Run run = run(dir, soups, checkpoints, partitions, threads, timeout);
        System.out.printf(Locale.ROOT, "%-6s %-4s %-4s %-4s %10s %9s %11s %8s %8s %8s%n",
                "soups", "ckpt", "part", "thr", "decisions", "seconds", "decisions/s", "p50 ms", "p99 ms", "max ms");
        System.out.printf(Locale.ROOT, "%-6d %-4d %-4d %-4d %10d %9.1f %11.0f %8.1f %8.1f %8.1f%n",
                soups, checkpoints, partitions, threads, run.decisions(), run.seconds(), run.decisionsPerSecond(),
                run.percentileMs(50), run.percentileMs(99), run.percentileMs(100));
        System.exit(0); // the broker's and Streams' non-daemon threads are closed; do not wait on stragglers
    }

    public static Run run(Path dir, int soups, int checkpoints, int partitions, int threads, Duration timeout)
            throws Exception {
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
                    long start = System.nanoTime();
                    feed(clients, topics, soups, checkpoints);
                    long expected = (long) soups * checkpoints;
                    long deadline = start + timeout.toNanos();
                    while (oracle.decisions() < expected && System.nanoTime() < deadline) {
                        Thread.sleep(20);
                    }
                    long end = oracle.lastDecisionNanos();
                    oracle.stop();
                    return new Run(soups, checkpoints, oracle.decisions(), oracle.requests(), (end - start) / 1e9,
                            oracle.latenciesMs(), oracle.decisionsPerSoup());
                }
            }
        }
    }

    /** The definitions, then every checkpoint's result, as the CLI and the evaluator would publish them. */
    private static void feed(KafkaClientConfigs clients, SouperTopics topics, int soups, int checkpoints)
            throws Exception {
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
            for (int c = 0; c < checkpoints; c++) {
                for (int s = 0; s < soups; s++) {
                    String soup = soupId(s);
                    String id = soup + "-c" + c;
                    results.send(new ProducerRecord<>(TopicNames.EVALUATIONS, null, t0 + 1 + c, soup,
                            checkpoint(soup, id, c == 0 ? SEED_CORRECT : 600 + correctFor(List.of(ref(id))) % 250)));
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
