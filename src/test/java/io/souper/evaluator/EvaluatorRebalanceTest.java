package io.souper.evaluator;

import io.souper.kafka.TopicNames;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Kafka side of the evaluator with a slow stand-in for scoring: evaluations far longer than
 * max.poll.interval.ms cause no rebalance, and when a second instance joins mid-run every record is
 * still evaluated and every offset committed (at-least-once, nothing skipped).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EvaluatorRebalanceTest {

    /** A consumer that does not poll for this long is thrown out of the group. */
    private static final int MAX_POLL_INTERVAL_MS = 1_000;

    @TempDir
    static Path tmp;

    private KafkaFixture kafka;

    @BeforeAll
    void start() {
        kafka = new KafkaFixture(tmp.resolve("kafka"), 2);
    }

    @AfterAll
    void stop() {
        kafka.close();
    }

    /**
     * Records which of this test's records it saw, after pretending to score each for {@code millis}
     * (the tests share the topic: records of the other test are passed over at once).
     */
    private static final class SlowProcessor implements WorkProcessor {
        final String prefix;
        final Map<String, Integer> seen;
        final long millis;

        SlowProcessor(String prefix, Map<String, Integer> seen, long millis) {
            this.prefix = prefix;
            this.seen = seen;
            this.millis = millis;
        }

        @Override
        public boolean process(WorkItem item) {
            if (!new String(item.value(), StandardCharsets.UTF_8).startsWith(prefix + "-")) {
                return true;
            }
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            seen.merge(new String(item.value(), StandardCharsets.UTF_8), 1, Integer::sum);
            return true;
        }

        @Override
        public boolean refuse(WorkItem item, EvaluationFailure failure, String reasonCode) {
            seen.merge("refused " + new String(item.value(), StandardCharsets.UTF_8), 1, Integer::sum);
            return true;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void evaluationsLongerThanMaxPollIntervalCauseNoRebalance() throws Exception {
        String group = "slow-" + System.nanoTime();
        Map<String, Integer> seen = new ConcurrentHashMap<>();
        publish("slow", 3);
        try (EvaluatorService service = start(group, new SlowProcessor("slow", seen, 3L * MAX_POLL_INTERVAL_MS),
                Map.of(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, MAX_POLL_INTERVAL_MS))) {
            awaitAll(seen, 3, 60);
            awaitCommitted(group);
            assertThat(service.assignmentCount()).as("assigned once, never again").isEqualTo(1);
            assertThat(service.revocationCount()).isZero();
            assertThat(seen).allSatisfy((record, times) -> assertThat(times).as(record).isEqualTo(1));
        }
    }

    @Test
    void aSecondInstanceJoiningMidRunLosesNothing() throws Exception {
        String group = "join-" + System.nanoTime();
        Map<String, Integer> seen = new ConcurrentHashMap<>();
        publish("join", 16);
        // max.poll.interval.ms is also the classic protocol's rebalance timeout: leave it at its default
        // here and let members notice a rebalance quickly instead.
        Map<String, Object> quickHeartbeats = Map.of(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 200);
        try (EvaluatorService first = start(group, new SlowProcessor("join", seen, 400), quickHeartbeats)) {
            awaitAll(seen, 2, 30);
            try (EvaluatorService second = start(group, new SlowProcessor("join", seen, 400), quickHeartbeats)) {
                awaitAll(seen, 16, 60);
                awaitCommitted(group);
                assertThat(first.revocationCount() + second.revocationCount()).as("the group did rebalance")
                        .isPositive();
                assertThat(second.assignment()).isNotEmpty();
            }
        }
        // At-least-once: a record under evaluation when its partition moved may be seen twice, none is missed.
        assertThat(seen.keySet()).hasSize(16);
    }

    private EvaluatorService start(String group, WorkProcessor processor, Map<String, Object> consumerOverrides) {
        EvaluatorSettings settings = EvaluatorSettings.defaults(List.of(tmp), tmp.resolve("work-" + group))
                .withGroupId(group).withMaxPollRecords(5);
        return EvaluatorService.start(kafka.clients, kafka.topics, settings, processor, consumerOverrides);
    }

    /** Records spread over both partitions of souper.checkpoints (the stand-in never decodes them). */
    private void publish(String prefix, int count) {
        for (int i = 0; i < count; i++) {
            kafka.publishRaw(TopicNames.CHECKPOINTS, "soup-" + (i % 4), (prefix + "-" + i).getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void awaitAll(Map<String, Integer> seen, int count, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (seen.size() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + seen.size() + " of " + count + " records evaluated: " + seen.keySet());
            }
            Thread.sleep(50);
        }
    }

    /** Waits until the group's committed offsets reach the end of souper.checkpoints. */
    private void awaitCommitted(String group) throws Exception {
        try (Admin admin = Admin.create(kafka.clients.admin())) {
            Set<TopicPartition> partitions = Set.of(new TopicPartition(TopicNames.CHECKPOINTS, 0),
                    new TopicPartition(TopicNames.CHECKPOINTS, 1));
            Map<TopicPartition, OffsetSpec> latest = partitions.stream()
                    .collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest()));
            Map<TopicPartition, Long> end = new HashMap<>();
            admin.listOffsets(latest).all().get().forEach((tp, info) -> end.put(tp, info.offset()));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            Map<TopicPartition, Long> committed = Map.of();
            while (System.nanoTime() < deadline) {
                Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                        .partitionsToOffsetAndMetadata().get();
                committed = offsets.entrySet().stream().filter(e -> e.getValue() != null)
                        .filter(e -> e.getKey().topic().equals(TopicNames.CHECKPOINTS))
                        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
                if (committed.equals(end)) {
                    return;
                }
                Thread.sleep(100);
            }
            throw new AssertionError("committed " + committed + " but the topic ends at " + end);
        }
    }
}
