package io.souper.evaluator;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.ToIntFunction;

/**
 * The records between the polling thread and the evaluation thread, and what may be committed.
 *
 * <p>Order: by priority (candidate requests first: the souper waits for them, one soup at a time,
 * while checkpoints only add to a backlog), then by arrival, so records of one partition are
 * evaluated in offset order.
 *
 * <p>Offsets (at-least-once): a record stays outstanding from {@link #add} until {@link #done}
 * says its result was acknowledged by Kafka. A partition's commit point is its lowest outstanding
 * offset, or one past the highest done offset when nothing is outstanding, so a commit never
 * skips a record whose result was not produced. A partition with outstanding records is
 * {@link #busy}: the polling thread pauses it, so the consumer keeps polling (and stays in the
 * group) without fetching more of it, whatever an evaluation takes.
 *
 * <p>Rebalances: {@link #revoke} drops the queued records of revoked partitions (their new owner
 * reads them again from the committed offset) and returns the final commit points; a record of a
 * revoked partition that is being evaluated finishes, but its {@link #done} is ignored. Its result
 * may then be produced twice, which results keyed by subject id make harmless.
 *
 * <p>Attempts (so that no record crashes the evaluator twice over): before a record is handled,
 * {@link #recordAttempt} commits its own offset with the attempt's number in the offset's metadata
 * ({@link AttemptMarks}); a restarted evaluator reads it back at {@link #assign} and knows how often
 * that record was already tried. Handling it to the end commits past it and clears the mark.
 *
 * <p>Thread-safe.
 */
final class WorkQueue {

    private static final class Progress {
        final TreeSet<Long> outstanding = new TreeSet<>();
        long highestDone = -1;
        long committed = -1;
        /** The record whose attempt number is (to be) in the committed metadata, and that number. */
        long attemptOffset = -1;
        int attempts;
        /** The attempt mark is set but not yet committed: commit it (synchronously) before the record runs. */
        boolean attemptPending;

        /** The offset to commit, or -1 when nothing new can be committed. */
        long commitPoint() {
            if (attemptPending) {
                return attemptOffset;
            }
            if (highestDone < 0) {
                return -1;
            }
            long point = outstanding.isEmpty() ? highestDone + 1 : outstanding.first();
            return point > committed ? point : -1;
        }
    }

    private final ToIntFunction<String> priorityOfTopic;
    private final PriorityQueue<WorkItem> queue = new PriorityQueue<>(
            Comparator.comparingInt(WorkItem::priority).thenComparingLong(WorkItem::sequence));
    private final Map<TopicPartition, Progress> partitions = new HashMap<>();
    private long sequence;

    /** @param priorityOfTopic lower evaluates first */
    WorkQueue(ToIntFunction<String> priorityOfTopic) {
        this.priorityOfTopic = priorityOfTopic;
    }

    /** Starts tracking newly assigned partitions (records of untracked partitions start tracking too). */
    synchronized void assign(Collection<TopicPartition> assigned) {
        assign(assigned, Map.of());
    }

    /**
     * Starts tracking newly assigned partitions, with their committed offsets: an attempt mark in
     * one's metadata says how often the record at that offset was already tried.
     */
    synchronized void assign(Collection<TopicPartition> assigned, Map<TopicPartition, OffsetAndMetadata> committed) {
        for (TopicPartition tp : assigned) {
            Progress progress = partitions.computeIfAbsent(tp, p -> new Progress());
            OffsetAndMetadata offset = committed.get(tp);
            int attempts = offset == null ? 0 : AttemptMarks.attempts(offset.metadata());
            if (attempts > 0) {
                progress.attemptOffset = offset.offset();
                progress.attempts = attempts;
            }
        }
    }

    /** How often {@code item} was tried before (by this process or one that died on it). */
    synchronized int priorAttempts(WorkItem item) {
        Progress progress = partitions.get(item.partition());
        return progress != null && progress.attemptOffset == item.offset() ? progress.attempts : 0;
    }

    /**
     * Marks {@code item} as tried for the {@code attempt}-th time; the mark goes out with the next
     * commit, which the polling thread makes synchronously ({@link #attemptPending}). The item
     * must be the first outstanding record of its partition (records of a partition are taken in
     * offset order, one at a time), so committing its offset skips nothing.
     */
    synchronized void recordAttempt(WorkItem item, int attempt) {
        Progress progress = partitions.get(item.partition());
        if (progress == null || !progress.outstanding.contains(item.offset())) {
            return; // revoked meanwhile: awaitAttemptCommitted says so
        }
        progress.attemptOffset = item.offset();
        progress.attempts = attempt;
        progress.attemptPending = true;
    }

    /** True while an attempt mark waits to be committed. */
    synchronized boolean attemptPending() {
        return partitions.values().stream().anyMatch(p -> p.attemptPending);
    }

    /** {@code offsets} were committed: attempt marks among them are in the committed state now. */
    synchronized void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((tp, offset) -> {
            Progress progress = partitions.get(tp);
            if (progress != null && progress.attemptPending && progress.attemptOffset == offset.offset()) {
                progress.attemptPending = false;
            }
        });
        notifyAll();
    }

    /**
     * Waits until {@code item}'s attempt mark is committed (true), or its partition is revoked or
     * {@code running} turns false first (false: do not handle it).
     */
    synchronized boolean awaitAttemptCommitted(WorkItem item, java.util.function.BooleanSupplier running)
            throws InterruptedException {
        while (running.getAsBoolean()) {
            Progress progress = partitions.get(item.partition());
            if (progress == null || !progress.outstanding.contains(item.offset())
                    || progress.attemptOffset != item.offset()) {
                return false;
            }
            if (!progress.attemptPending) {
                return true;
            }
            wait(100);
        }
        return false;
    }

    synchronized void add(Iterable<ConsumerRecord<byte[], byte[]>> records) {
        boolean added = false;
        for (ConsumerRecord<byte[], byte[]> r : records) {
            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            Progress progress = partitions.computeIfAbsent(tp, p -> new Progress());
            if (!progress.outstanding.add(r.offset())) {
                continue; // already queued (a re-fetch after a seek): evaluate it once
            }
            queue.add(new WorkItem(tp, r.offset(), r.key(), r.value(), priorityOfTopic.applyAsInt(r.topic()), sequence++));
            added = true;
        }
        if (added) {
            notifyAll();
        }
    }

    /** The next record to evaluate, or null if none arrives within {@code timeout}. */
    synchronized WorkItem take(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (queue.isEmpty()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return queue.poll();
    }

    /** The item's result was acknowledged: its offset may be committed once every earlier one is. */
    synchronized void done(WorkItem item) {
        Progress progress = partitions.get(item.partition());
        if (progress == null || !progress.outstanding.remove(item.offset())) {
            return; // revoked meanwhile: the partition's new owner evaluates it again
        }
        progress.highestDone = Math.max(progress.highestDone, item.offset());
    }

    /** Offsets that advanced since the last call, to commit now. */
    synchronized Map<TopicPartition, OffsetAndMetadata> committable() {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        partitions.forEach((tp, progress) -> {
            long point = progress.commitPoint();
            if (point >= 0) {
                out.put(tp, offsetAndMetadata(progress, point));
                progress.committed = point;
            }
        });
        return out;
    }

    /** The attempt mark rides along whenever the record it counts is the commit point, so no commit erases it. */
    private static OffsetAndMetadata offsetAndMetadata(Progress progress, long point) {
        return point == progress.attemptOffset ? new OffsetAndMetadata(point, AttemptMarks.format(progress.attempts))
                : new OffsetAndMetadata(point);
    }

    /** A commit of {@code offsets} failed: offer them again on the next {@link #committable} (unless superseded). */
    synchronized void commitFailed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((tp, offset) -> {
            Progress progress = partitions.get(tp);
            if (progress != null && progress.committed == offset.offset()) {
                progress.committed = -1;
            }
        });
    }

    /** Partitions with records queued or under evaluation: keep them paused. */
    synchronized Set<TopicPartition> busy() {
        Set<TopicPartition> out = new HashSet<>();
        partitions.forEach((tp, progress) -> {
            if (!progress.outstanding.isEmpty()) {
                out.add(tp);
            }
        });
        return out;
    }

    /**
     * Forgets revoked partitions: drops their queued records and returns their final commit
     * points (only those that advanced), to commit before the partitions change hands.
     */
    synchronized Map<TopicPartition, OffsetAndMetadata> revoke(Collection<TopicPartition> revoked) {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        for (TopicPartition tp : revoked) {
            Progress progress = partitions.remove(tp);
            if (progress != null) {
                long point = progress.commitPoint();
                if (point >= 0) {
                    out.put(tp, offsetAndMetadata(progress, point));
                }
            }
        }
        queue.removeIf(item -> revoked.contains(item.partition()));
        notifyAll();
        return out;
    }

    /** Partitions lost without a clean revocation: forget them, commit nothing (another member owns them). */
    synchronized void lose(Collection<TopicPartition> lost) {
        lost.forEach(partitions::remove);
        queue.removeIf(item -> lost.contains(item.partition()));
        notifyAll();
    }

    /** Records waiting (not counting one under evaluation). */
    synchronized int queued() {
        return queue.size();
    }

    synchronized Set<TopicPartition> tracked() {
        return Set.copyOf(partitions.keySet());
    }
}
