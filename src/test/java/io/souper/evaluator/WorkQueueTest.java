package io.souper.evaluator;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class WorkQueueTest {

    private static final String CANDIDATES = "souper.candidates";
    private static final String CHECKPOINTS = "souper.checkpoints";
    private static final TopicPartition CK0 = new TopicPartition(CHECKPOINTS, 0);
    private static final TopicPartition CK1 = new TopicPartition(CHECKPOINTS, 1);
    private static final TopicPartition CA0 = new TopicPartition(CANDIDATES, 0);

    private final WorkQueue queue = new WorkQueue(topic -> topic.equals(CANDIDATES) ? 0 : 1);

    @Test
    void candidatesGoBeforeCheckpointsAndEachPartitionStaysInOffsetOrder() throws Exception {
        queue.add(List.of(record(CK0, 10), record(CK1, 3), record(CK0, 11)));
        queue.add(List.of(record(CA0, 7), record(CA0, 8)));
        queue.add(List.of(record(CK1, 4)));

        List<String> order = new ArrayList<>();
        for (WorkItem item; (item = queue.take(Duration.ZERO)) != null; ) {
            order.add(item.toString());
        }
        assertThat(order).containsExactly("souper.candidates-0@7", "souper.candidates-0@8",
                "souper.checkpoints-0@10", "souper.checkpoints-1@3", "souper.checkpoints-0@11",
                "souper.checkpoints-1@4");
    }

    @Test
    void aCandidateArrivingLaterOvertakesWaitingCheckpoints() throws Exception {
        queue.add(List.of(record(CK0, 0), record(CK0, 1), record(CK0, 2)));
        assertThat(queue.take(Duration.ZERO).offset()).isEqualTo(0);
        queue.add(List.of(record(CA0, 5)));
        assertThat(queue.take(Duration.ZERO).partition()).isEqualTo(CA0);
        assertThat(queue.take(Duration.ZERO).offset()).isEqualTo(1);
    }

    @Test
    void offsetsAreCommittedOnlyUpToTheFirstRecordWithoutAResult() throws Exception {
        queue.assign(List.of(CK0));
        queue.add(List.of(record(CK0, 20), record(CK0, 21), record(CK0, 22)));
        assertThat(queue.committable()).isEmpty();

        WorkItem first = queue.take(Duration.ZERO);
        WorkItem second = queue.take(Duration.ZERO);
        assertThat(queue.committable()).as("taken is not done").isEmpty();

        queue.done(second); // out of order: 20 has no result yet, so nothing may be committed
        assertThat(queue.committable()).containsExactly(Map.entry(CK0, new OffsetAndMetadata(20)));
        queue.done(first);
        assertThat(queue.committable()).containsExactly(Map.entry(CK0, new OffsetAndMetadata(22)));
        assertThat(queue.committable()).as("unchanged since the last call").isEmpty();

        queue.done(queue.take(Duration.ZERO));
        assertThat(queue.committable()).containsExactly(Map.entry(CK0, new OffsetAndMetadata(23)));
    }

    @Test
    void aFailedCommitIsOfferedAgainUnlessALaterOneSupersedesIt() throws Exception {
        queue.add(List.of(record(CK0, 0), record(CK1, 0), record(CK0, 1)));
        queue.done(queue.take(Duration.ZERO));
        queue.done(queue.take(Duration.ZERO));
        Map<TopicPartition, OffsetAndMetadata> first = queue.committable();
        assertThat(first).containsOnlyKeys(CK0, CK1);
        queue.commitFailed(first);
        assertThat(queue.committable()).isEqualTo(first);

        queue.done(queue.take(Duration.ZERO)); // CK0@1
        Map<TopicPartition, OffsetAndMetadata> second = queue.committable();
        assertThat(second).containsExactly(Map.entry(CK0, new OffsetAndMetadata(2)));
        // A late failure of the older commit: CK0 has moved on (2 is in flight), CK1 has not.
        queue.commitFailed(Map.of(CK0, new OffsetAndMetadata(1), CK1, new OffsetAndMetadata(1)));
        assertThat(queue.committable()).containsExactly(Map.entry(CK1, new OffsetAndMetadata(1)));
    }

    @Test
    void partitionsWithRecordsWaitingOrUnderEvaluationAreBusy() throws Exception {
        queue.add(List.of(record(CK0, 0), record(CA0, 0)));
        assertThat(queue.busy()).containsExactlyInAnyOrder(CK0, CA0);
        WorkItem candidate = queue.take(Duration.ZERO);
        assertThat(queue.busy()).as("under evaluation is still busy").containsExactlyInAnyOrder(CK0, CA0);
        queue.done(candidate);
        assertThat(queue.busy()).containsExactly(CK0);
        queue.done(queue.take(Duration.ZERO));
        assertThat(queue.busy()).isEmpty();
    }

    @Test
    void revokingDropsQueuedRecordsCommitsWhatIsDoneAndIgnoresLateResults() throws Exception {
        queue.add(List.of(record(CK0, 0), record(CK0, 1), record(CK0, 2), record(CK1, 0)));
        WorkItem done = queue.take(Duration.ZERO);
        queue.done(done);
        WorkItem inFlight = queue.take(Duration.ZERO); // CK0@1 under evaluation while CK0 is revoked

        Map<TopicPartition, OffsetAndMetadata> finalOffsets = queue.revoke(List.of(CK0));

        assertThat(finalOffsets).containsExactly(Map.entry(CK0, new OffsetAndMetadata(1)));
        assertThat(queue.tracked()).containsExactly(CK1);
        assertThat(queue.busy()).containsExactly(CK1);
        queue.done(inFlight); // the late result must not resurrect the partition or move its offset
        assertThat(queue.tracked()).containsExactly(CK1);
        assertThat(queue.committable()).isEmpty();
        WorkItem next = queue.take(Duration.ZERO);
        assertThat(next.partition()).isEqualTo(CK1);
        assertThat(queue.take(Duration.ZERO)).as("CK0@2 was dropped").isNull();
    }

    @Test
    void aLostPartitionIsForgottenWithoutCommitting() throws Exception {
        queue.add(List.of(record(CK0, 0), record(CK0, 1)));
        queue.done(queue.take(Duration.ZERO));
        queue.lose(List.of(CK0));
        assertThat(queue.committable()).isEmpty();
        assertThat(queue.queued()).isZero();
        assertThat(queue.busy()).isEmpty();
    }

    @Test
    void theSameOffsetQueuedTwiceIsEvaluatedOnce() throws Exception {
        queue.add(List.of(record(CK0, 5)));
        WorkItem item = queue.take(Duration.ZERO);
        queue.add(List.of(record(CK0, 5))); // re-fetched while under evaluation
        assertThat(queue.queued()).isZero();
        queue.done(item);
        assertThat(queue.committable()).containsExactly(Map.entry(CK0, new OffsetAndMetadata(6)));
    }

    @Test
    void takeWaitsForRecordsFromAnotherThread() throws Exception {
        Thread producer = new Thread(() -> {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            queue.add(List.of(record(CK0, 1)));
        });
        producer.start();
        WorkItem item = queue.take(Duration.ofSeconds(30));
        producer.join();
        assertThat(item).isNotNull();
        assertThat(item.offset()).isEqualTo(1);
        assertThat(queue.take(Duration.ofMillis(1))).isNull();
    }

    private static ConsumerRecord<byte[], byte[]> record(TopicPartition tp, long offset) {
        return new ConsumerRecord<>(tp.topic(), tp.partition(), offset, "soup".getBytes(), new byte[] {(byte) offset});
    }

    @Test
    void anAttemptMarkRidesWithEveryCommitOfItsRecordUntilTheRecordIsDone() throws Exception {
        queue.assign(List.of(CK0), java.util.Map.of(CK0, new org.apache.kafka.clients.consumer.OffsetAndMetadata(10,
                AttemptMarks.format(2))));
        queue.add(List.of(record(CK0, 10), record(CK0, 11)));
        WorkItem first = queue.take(java.time.Duration.ofSeconds(1));
        assertThat(queue.priorAttempts(first)).as("read back from the committed metadata").isEqualTo(2);

        queue.recordAttempt(first, 3);
        assertThat(queue.attemptPending()).isTrue();
        var offsets = queue.committable();
        assertThat(offsets.get(CK0).offset()).isEqualTo(10);
        assertThat(offsets.get(CK0).metadata()).isEqualTo(AttemptMarks.format(3));
        queue.commitFailed(offsets);
        assertThat(queue.committable().get(CK0).metadata()).as("offered again, mark and all")
                .isEqualTo(AttemptMarks.format(3));
        queue.committed(offsets);
        assertThat(queue.attemptPending()).isFalse();
        assertThat(queue.awaitAttemptCommitted(first, () -> true)).isTrue();
        assertThat(queue.committable()).as("nothing new until the record is done").isEmpty();

        queue.done(first);
        var after = queue.committable();
        assertThat(after.get(CK0).offset()).isEqualTo(11);
        assertThat(after.get(CK0).metadata()).as("a commit past the record clears its mark").isEmpty();
        WorkItem second = queue.take(java.time.Duration.ofSeconds(1));
        assertThat(queue.priorAttempts(second)).isZero();
    }

    @Test
    void otherMetadataIsNoAttemptMark() {
        assertThat(AttemptMarks.attempts(null)).isZero();
        assertThat(AttemptMarks.attempts("")).isZero();
        assertThat(AttemptMarks.attempts("written by another tool")).isZero();
        assertThat(AttemptMarks.attempts(AttemptMarks.format(7))).isEqualTo(7);
    }
}
