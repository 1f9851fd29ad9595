package io.souper.evaluator;

import org.apache.kafka.common.TopicPartition;

/**
 * One consumed record waiting for (or under) evaluation: its raw bytes, decoded by the worker
 * so that undecodable records reach the dead-letter topic with their original bytes.
 *
 * @param priority lower goes first (candidate requests before checkpoints)
 * @param sequence arrival order, the tie-breaker within a priority (and so within a partition)
 */
record WorkItem(TopicPartition partition, long offset, byte[] key, byte[] value, int priority, long sequence) {

    String topic() {
        return partition.topic();
    }

    @Override
    public String toString() {
        return partition + "@" + offset;
    }
}
