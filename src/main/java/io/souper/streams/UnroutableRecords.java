package io.souper.streams;

import io.souper.events.DeadLetter;
import io.souper.kafka.DeadLetters;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Dead-letters input records that cannot be repartitioned to their soup, before the repartition,
 * with their own topic, partition and offset:
 * <ul>
 *   <li>a record without a key: every Souper topic is keyed by soup id, and Kafka Streams'
 *       repartition drops null keys silently;</li>
 *   <li>a record too large to be written again: the broker accepts a value of almost 1 MiB, but
 *       the same bytes with the repartition's headers exceed the producer's and the topic's
 *       1 MiB limit, and a record that cannot be sent fails the task again after every restart.
 *       No Souper event comes near {@link #MAX_ROUTED_BYTES}.</li>
 * </ul>
 */
final class UnroutableRecords extends ContextualProcessor<String, byte[], String, SpecificRecord> {

    /** Key and value bytes the souper forwards through its repartition topic: 1 MiB less room for headers. */
    static final int MAX_ROUTED_BYTES = 1_000_000;

    private static final Logger LOG = LoggerFactory.getLogger(UnroutableRecords.class);

    private final SoupStreamsMetrics metrics;

    UnroutableRecords(SoupStreamsMetrics metrics) {
        this.metrics = metrics;
    }

    /** True when the record cannot go through the repartition topic. */
    static boolean unroutable(String key, byte[] value) {
        return key == null || size(key, value) > MAX_ROUTED_BYTES;
    }

    @Override
    public void process(Record<String, byte[]> record) {
        RecordMetadata meta = context().recordMetadata().orElseThrow();
        DeadLetter letter = record.key() == null
                ? DeadLetters.of(meta.topic(), meta.partition(), meta.offset(), null, record.value(),
                        DeadLetters.INVALID_EVENT, "record without a key: every Souper topic is keyed by soup id",
                        SoupProcessor.COMPONENT, Instant.ofEpochMilli(record.timestamp()))
                : DeadLetters.of(meta.topic(), meta.partition(), meta.offset(),
                        record.key().getBytes(StandardCharsets.UTF_8), record.value(),
                        DeadLetters.DESERIALIZATION_FAILED, "record of " + size(record.key(), record.value())
                                + " bytes (key and value) is larger than any Souper event (at most "
                                + MAX_ROUTED_BYTES + ")",
                        SoupProcessor.COMPONENT, Instant.ofEpochMilli(record.timestamp()));
        LOG.warn("dead letter from {}[{}]@{}: {} {}", letter.getOriginalTopic(), letter.getPartition(),
                letter.getOffset(), letter.getReasonCode(), letter.getMessage());
        metrics.deadLetter(letter.getReasonCode());
        String key = record.key() == null ? null
                : new String(DeadLetters.recordKey(record.key().getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
        context().forward(new Record<>(key, letter, record.timestamp()));
    }

    private static long size(String key, byte[] value) {
        return (long) key.getBytes(StandardCharsets.UTF_8).length + (value == null ? 0 : value.length);
    }
}
