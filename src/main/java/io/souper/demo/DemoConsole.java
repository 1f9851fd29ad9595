package io.souper.demo;

import io.souper.events.DecisionKind;
import io.souper.events.EvaluationResult;
import io.souper.events.SoupDecision;
import io.souper.events.SoupIngredient;
import io.souper.events.SoupUpdated;
import io.souper.events.SplitMetrics;
import io.souper.events.SubjectKind;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What the user sees while the demo runs: every checkpoint score and every soup decision
 * as one line, as they arrive on Kafka, with a bar of how far scoring has come, and one line
 * per new soup version (souper.updates), the only place a version number is shown: the souper
 * publishes a version only when the soup's ingredients change. Reads the topics like any other
 * subscriber (from their end when it starts).
 */
final class DemoConsole implements AutoCloseable {

    private final PrintStream out;
    private final SouperTopics topics;
    private final int expectedCheckpoints;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    private final java.util.Set<String> scored = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final DecisionLines decisions = new DecisionLines();

    DemoConsole(KafkaClientConfigs clients, SouperTopics topics, int expectedCheckpoints, PrintStream out) {
        this.out = out;
        this.topics = topics;
        this.expectedCheckpoints = expectedCheckpoints;
        Map<String, Object> config = clients.consumer("demo-console", "demo-console");
        config.remove("group.id");
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(topics.evaluations.name(), topics.decisions.name(), topics.updates.name())) {
            consumer.partitionsFor(topic, Duration.ofSeconds(30))
                    .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // resolve "end" now, before anything new is published
        thread = new Thread(() -> loop(consumer), "demo-console");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop(KafkaConsumer<byte[], byte[]> consumer) {
        try (consumer) {
            while (running.get()) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    try {
                        show(record);
                    } catch (RuntimeException e) {
                        out.println("  (cannot show an event on " + record.topic() + ": " + e.getMessage() + ")");
                    }
                }
            }
        }
    }

    private void show(ConsumerRecord<byte[], byte[]> record) {
        if (record.topic().equals(topics.decisions.name())) {
            SoupDecision d = topics.decisions.valueSerde().deserializer().deserialize(record.topic(), record.value());
            out.println(decisions.line(d));
            return;
        }
        if (record.topic().equals(topics.updates.name())) {
            out.println(decisions.published(topics.updates.valueSerde().deserializer().deserialize(record.topic(),
                    record.value())));
            return;
        }
        EvaluationResult r = topics.evaluations.valueSerde().deserializer().deserialize(record.topic(), record.value());
        if (r.getSubjectKind() == SubjectKind.CHECKPOINT && r.getSoupId().equals(DemoSoups.SORTED)) {
            scored.add(r.getSubjectId());
            out.println(String.format(Locale.ROOT, "  scored   %-10s %s  %s", r.getSubjectId(), metrics(r),
                    Progress.bar(scored.size(), expectedCheckpoints)));
        }
    }

    /**
     * Turns decisions into sentences a first-time reader can follow: what happened to the
     * checkpoint, its held-out score against the soup's, and the soup's size afterwards. Keeps,
     * per soup, the size last seen (a FAILED or REBUILT decision does not say it) and which
     * checkpoints were judged already (a second verdict is a replay after a better checkpoint
     * arrived). Decision lines carry no version: a sorted soup's replay decides several
     * checkpoints before the replayed soup is published, so a version attached to a decision
     * would seem to change on a rejection. Versions are shown by {@link #published} alone.
     */
    static final class DecisionLines {
        private final Map<String, Integer> sizes = new HashMap<>();
        private final Map<String, Set<String>> judged = new HashMap<>();

        synchronized String line(SoupDecision d) {
            String soupId = d.getSoupId();
            List<String> set = d.getCandidateIngredients();
            String checkpoint = d.getCheckpointId();
            String candidate = d.getCandidateAccuracy() == null ? null : Progress.pct(d.getCandidateAccuracy());
            String soup = d.getSoupAccuracy() == null ? null : Progress.pct(d.getSoupAccuracy());
            boolean judgedBefore = judged.computeIfAbsent(soupId, k -> new HashSet<>()).contains(checkpoint);
            String what;
            Integer size = sizes.get(soupId);
            switch (d.getKind()) {
                case SEEDED -> {
                    what = "started the soup" + (candidate == null ? "" : ", held-out " + candidate);
                    size = 1;
                }
                case ACCEPTED -> {
                    what = "accepted into the soup: with it " + orDash(candidate) + " held-out"
                            + (soup == null ? "" : ", without it " + soup);
                    size = set.size();
                }
                case REJECTED -> {
                    what = "rejected: with it " + orDash(candidate) + " held-out"
                            + (soup == null ? "" : ", the soup without it " + soup);
                    size = Math.max(set.size() - 1, 0);
                }
                case REPLACED -> {
                    what = "replaced the soup: alone " + orDash(candidate) + " held-out"
                            + (soup == null ? "" : ", the soup " + soup) + "; the others will be tried again";
                    size = 1;
                }
                case FAILED -> what = "could not be scored, left out"
                        + (d.getReason() == null ? "" : " (" + d.getReason() + ")");
                case REBUILT -> what = "ranks above checkpoints scored before it"
                        + (candidate == null ? "" : " (held-out " + candidate + ")")
                        + ": the greedy loop is replayed from it";
                default -> what = d.getKind().toString().toLowerCase(Locale.ROOT);
            }
            boolean verdict = d.getKind() == DecisionKind.ACCEPTED || d.getKind() == DecisionKind.REJECTED;
            if (verdict && judgedBefore) {
                what = "replayed after a better checkpoint arrived, " + what;
            }
            if (verdict || d.getKind() == DecisionKind.SEEDED || d.getKind() == DecisionKind.REPLACED) {
                judged.get(soupId).add(checkpoint);
            }
            if (size != null) {
                sizes.put(soupId, size);
            }
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-6s   %-10s %s", soupId
                    .replace("demo-", ""), checkpoint, what));
            line.append(size == null ? "" : "; soup of " + size);
            return line.toString();
        }

        /** A new published version: the soup changed. */
        String published(SoupUpdated u) {
            List<String> ids = u.getIngredients().stream().map(SoupIngredient::getCheckpointId).toList();
            return String.format(Locale.ROOT, "  %-6s   soup is now version %d: %s (%d), held-out %s", u.getSoupId()
                    .replace("demo-", ""), u.getVersion(), String.join(" + ", ids), ids.size(),
                    u.getHeldOut() == null ? "-" : Progress.pct(u.getHeldOut().getAccuracy()));
        }

        private static String orDash(String v) {
            return v == null ? "-" : v;
        }
    }

    private static String metrics(EvaluationResult r) {
        if (r.getError() != null) {
            return "FAILED " + r.getError().getCode() + ": " + r.getError().getMessage();
        }
        double shifts = r.getShifts().stream().mapToDouble(SplitMetrics::getAccuracy).average().orElse(Double.NaN);
        return String.format(Locale.ROOT, "held-out %s  test %s  shifts %s  (%s, %.1f s)",
                Progress.pct(r.getHeldOut().getAccuracy()),
                r.getTest() == null ? "-" : Progress.pct(r.getTest().getAccuracy()),
                Double.isNaN(shifts) ? "-" : Progress.pct(shifts), r.getDevice(), r.getDurationMs() / 1000.0);
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join(5_000);
    }
}
