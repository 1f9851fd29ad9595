package io.souper.demo;

import io.souper.events.EvaluationResult;
import io.souper.events.SoupDecision;
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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What the user sees while the demo runs: every checkpoint score and every soup decision
 * as one line, as they arrive on Kafka, with a bar of how far scoring has come. Reads the
 * topics like any other subscriber (from their end when it starts).
 */
final class DemoConsole implements AutoCloseable {

    private final PrintStream out;
    private final SouperTopics topics;
    private final int expectedCheckpoints;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    private final java.util.Set<String> scored = java.util.concurrent.ConcurrentHashMap.newKeySet();

    DemoConsole(KafkaClientConfigs clients, SouperTopics topics, int expectedCheckpoints, PrintStream out) {
        this.out = out;
        this.topics = topics;
        this.expectedCheckpoints = expectedCheckpoints;
        Map<String, Object> config = clients.consumer("demo-console", "demo-console");
        config.remove("group.id");
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(topics.evaluations.name(), topics.decisions.name())) {
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
            out.println(decisionLine(d));
            return;
        }
        EvaluationResult r = topics.evaluations.valueSerde().deserializer().deserialize(record.topic(), record.value());
        if (r.getSubjectKind() == SubjectKind.CHECKPOINT && r.getSoupId().equals(DemoSoups.SORTED)) {
            scored.add(r.getSubjectId());
            out.println(String.format(Locale.ROOT, "  scored   %-10s %s  %s", r.getSubjectId(), metrics(r),
                    Progress.bar(scored.size(), expectedCheckpoints)));
        }
    }

    static String decisionLine(SoupDecision d) {
        String soup = d.getSoupId().replace("demo-", "");
        String candidate = d.getCandidateAccuracy() == null ? "-" : Progress.pct(d.getCandidateAccuracy());
        String against = d.getSoupAccuracy() == null ? "" : " vs soup " + Progress.pct(d.getSoupAccuracy());
        return String.format(Locale.ROOT, "  %-6s   v%-3d %-8s %-10s candidate %s%s (%d in set)", soup,
                d.getSoupVersion(), d.getKind(), d.getCheckpointId(), candidate, against,
                d.getCandidateIngredients().size());
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
