package io.souper.evaluator;

import io.souper.events.DeadLetter;
import io.souper.events.EvaluationResult;
import io.souper.kafka.DeadLetters;
import io.souper.kafka.EmbeddedStack;
import io.souper.kafka.TopicNames;
import io.souper.testsupport.EvaluatorReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A record that is not at fault by any rule Souper knows, yet stops the evaluator (out of memory,
 * a native crash): the evaluator stops with one line naming it, and restarts do not die on it
 * forever. Its attempt count is kept with the group's committed offset, and once it reached
 * {@code crashAttempts} the next run answers it as REPEATED_CRASH, dead-letters it and goes on.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EvaluatorCrashLoopTest {

    private static final Path ARCH = Path.of("models/fmnist_cnn.pt");
    private static final Path IDX = Path.of("/usr/share/datasets/fashion-mnist");
    private static final TopicPartition CHECKPOINTS_0 = new TopicPartition(TopicNames.CHECKPOINTS, 0);

    @TempDir
    static Path tmp;

    private KafkaFixture kafka;

    @BeforeAll
    void start() {
        // the HTTP registry, so an evaluator in another JVM reads what this one wrote
        kafka = new KafkaFixture(EmbeddedStack.start(tmp.resolve("stack"), 0, 0, 1), 1);
    }

    @AfterAll
    void stop() {
        kafka.close();
    }

    /** Throws an Error on the bad record, as the JVM does when scoring it runs out of memory. */
    private static final class CrashingProcessor implements WorkProcessor {
        final AtomicInteger badAttempts;
        final List<String> handled;
        final Map<String, String> refused;

        CrashingProcessor(AtomicInteger badAttempts, List<String> handled, Map<String, String> refused) {
            this.badAttempts = badAttempts;
            this.handled = handled;
            this.refused = refused;
        }

        @Override
        public boolean process(WorkItem item) {
            String value = new String(item.value(), StandardCharsets.UTF_8);
            if (!value.startsWith("inproc-")) {
                return true; // the other test's records
            }
            if (value.equals("inproc-bad")) {
                badAttempts.incrementAndGet();
                throw new OutOfMemoryError("Java heap space (thrown by the test)");
            }
            handled.add(value);
            return true;
        }

        @Override
        public boolean refuse(WorkItem item, EvaluationFailure failure, String reasonCode) {
            refused.put(new String(item.value(), StandardCharsets.UTF_8), failure.code() + " " + reasonCode);
            return true;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aRecordThatStopsTheEvaluatorIsTriedCrashAttemptsTimesThenAnsweredAndSkipped() throws Exception {
        String group = "crash-" + System.nanoTime();
        kafka.publishRaw(TopicNames.CHECKPOINTS, "inproc", "inproc-good-0".getBytes(StandardCharsets.UTF_8));
        long badOffset = endOffset();
        kafka.publishRaw(TopicNames.CHECKPOINTS, "inproc", "inproc-bad".getBytes(StandardCharsets.UTF_8));
        kafka.publishRaw(TopicNames.CHECKPOINTS, "inproc", "inproc-good-1".getBytes(StandardCharsets.UTF_8));
        AtomicInteger badAttempts = new AtomicInteger();
        List<String> handled = new CopyOnWriteArrayList<>();
        Map<String, String> refused = new ConcurrentHashMap<>();
        EvaluatorSettings settings = EvaluatorSettings.defaults(List.of(tmp), tmp.resolve("work-" + group))
                .withGroupId(group).withCrashAttempts(2);

        for (int run = 1; run <= 2; run++) {
            EvaluatorService service = EvaluatorService.start(kafka.clients, kafka.topics, settings,
                    new CrashingProcessor(badAttempts, handled, refused), Map.of());
            assertThatThrownBy(() -> service.termination().get(60, TimeUnit.SECONDS)).as("run " + run)
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(OutOfMemoryError.class);
            OffsetAndMetadata committed = committed(group);
            assertThat(committed.offset()).as("run %d stopped at the bad record", run).isEqualTo(badOffset);
            assertThat(committed.metadata()).as("its attempts, in the committed state")
                    .isEqualTo(AttemptMarks.format(run));
        }
        assertThat(badAttempts).hasValue(2);
        assertThat(handled).containsExactly("inproc-good-0");

        try (EvaluatorService service = EvaluatorService.start(kafka.clients, kafka.topics, settings,
                new CrashingProcessor(badAttempts, handled, refused), Map.of())) {
            await(() -> handled.contains("inproc-good-1"), "the record after the bad one");
            assertThat(refused).containsEntry("inproc-bad", "REPEATED_CRASH " + DeadLetters.REPEATED_CRASH);
            assertThat(badAttempts).as("not tried a third time").hasValue(2);
            await(() -> committedOrNull(group) != null && committedOrNull(group).offset() == badOffset + 2,
                    "the commit past the good record");
            assertThat(committed(group).metadata()).as("a clean commit clears the mark").isEmpty();
            assertThat(service.isRunning()).isTrue();
        }
    }

    /**
     * The real thing, in a separate JVM with a small heap: scoring a checkpoint on the full 60,000-image
     * training split needs ~190 MB of floats, so the evaluator dies of OutOfMemoryError; the restarted
     * one (crash attempts 1) answers that checkpoint as REPEATED_CRASH, dead-letters it, and scores the
     * next good checkpoint. (Run from the test classpath: target/souper.jar is built after the tests.)
     */
    @Test
    void aSeparateEvaluatorProcessKilledByARecordSkipsItAfterARestart() throws Exception {
        Path store = Files.createDirectories(tmp.resolve("store"));
        Path arch = store.resolve("fmnist_cnn.pt");
        Files.copy(ARCH, arch, StandardCopyOption.REPLACE_EXISTING);
        Path checkpoint = EvaluatorReference.makeCheckpoints(ARCH, IDX, Files.createDirectories(store.resolve("ckpt")),
                1).get(0);
        kafka.publish(kafka.topics.definitions, "huge", KafkaFixture.definition("huge", arch,
                KafkaFixture.idx("train", 0, 60_000), null, Map.of()));
        kafka.publish(kafka.topics.definitions, "small", KafkaFixture.definition("small", arch,
                KafkaFixture.idx("t10k", 0, 200), null, Map.of()));
        String uri = checkpoint.toUri().toString();
        long hugeOffset = endOffset();
        kafka.publish(kafka.topics.checkpoints, "huge", KafkaFixture.checkpoint("huge", "on-huge", uri, null));
        kafka.publish(kafka.topics.checkpoints, "small", KafkaFixture.checkpoint("small", "on-small", uri, null));
        String group = "crash-jvm-" + System.nanoTime();

        Path firstLog = tmp.resolve("evaluator-1.log");
        Process first = evaluatorProcess(group, store, firstLog);
        assertThat(first.waitFor(120, TimeUnit.SECONDS)).as("the first evaluator dies of the record").isTrue();
        assertThat(first.exitValue()).isNotZero();
        List<String> stopping = Files.readAllLines(firstLog).stream().filter(l -> l.contains("evaluator stopping"))
                .toList();
        assertThat(stopping).as("one clear line, naming the record").hasSize(1);
        assertThat(stopping.get(0)).contains("OutOfMemoryError", TopicNames.CHECKPOINTS + "-0@" + hugeOffset,
                "attempt 1 of 1", DeadLetters.REPEATED_CRASH);
        assertThat(committed(group).metadata()).isEqualTo(AttemptMarks.format(1));

        Process second = evaluatorProcess(group, store, tmp.resolve("evaluator-2.log"));
        try {
            List<ConsumerRecord<String, EvaluationResult>> results = kafka.readUntil(kafka.topics.evaluations,
                    rs -> rs.stream().anyMatch(r -> r.value().getSubjectId().equals("on-small")),
                    Duration.ofSeconds(120));
            EvaluationResult onHuge = results.stream().filter(r -> r.value().getSubjectId().equals("on-huge"))
                    .findFirst().orElseThrow().value();
            assertThat(onHuge.getError().getCode()).isEqualTo(EvaluatorErrorCode.REPEATED_CRASH.name());
            assertThat(onHuge.getError().getRetriable()).isFalse();
            EvaluationResult onSmall = results.stream().filter(r -> r.value().getSubjectId().equals("on-small"))
                    .findFirst().orElseThrow().value();
            assertThat(onSmall.getError()).isNull();
            assertThat(onSmall.getHeldOut().getTotal()).isEqualTo(200);
            List<ConsumerRecord<String, DeadLetter>> letters = kafka.readUntil(kafka.topics.deadLetters,
                    ls -> ls.stream().anyMatch(l -> l.value().getReasonCode().equals(DeadLetters.REPEATED_CRASH)),
                    Duration.ofSeconds(30));
            DeadLetter letter = letters.stream().map(ConsumerRecord::value)
                    .filter(l -> l.getReasonCode().equals(DeadLetters.REPEATED_CRASH)).findFirst().orElseThrow();
            assertThat(letter.getOffset()).isEqualTo(hugeOffset);
            assertThat(letter.getOriginalTopic()).isEqualTo(TopicNames.CHECKPOINTS);
            assertThat(second.isAlive()).isTrue();
        } finally {
            second.destroy();
            if (!second.waitFor(30, TimeUnit.SECONDS)) {
                second.destroyForcibly();
            }
        }
    }

    private Process evaluatorProcess(String group, Path store, Path log) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx160m", "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                "io.souper.cli.SouperCli", "evaluator",
                "--bootstrap-servers", kafka.clients.bootstrapServers(),
                "--schema-registry-url", kafka.clients.schemaRegistryUrl(),
                "--store-root", store.toString(), "--store-root", IDX.toString(),
                "--work-dir", tmp.resolve("work-" + group).toString(),
                "--device", "cpu", "--group-id", group, "--http-port", "0", "--crash-attempts", "1"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("SOUPER_"));
        return builder.start();
    }

    private long endOffset() throws Exception {
        try (Admin admin = Admin.create(kafka.clients.admin())) {
            return admin.listOffsets(Map.of(CHECKPOINTS_0, org.apache.kafka.clients.admin.OffsetSpec.latest()))
                    .partitionResult(CHECKPOINTS_0).get().offset();
        }
    }

    private OffsetAndMetadata committed(String group) throws Exception {
        OffsetAndMetadata committed = committedOrNull(group);
        assertThat(committed).as("committed offset of " + group).isNotNull();
        return committed;
    }

    private OffsetAndMetadata committedOrNull(String group) {
        try (Admin admin = Admin.create(kafka.clients.admin())) {
            return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().get(CHECKPOINTS_0);
        } catch (Exception e) {
            throw new AssertionError("cannot read the offsets of " + group, e);
        }
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }
}
