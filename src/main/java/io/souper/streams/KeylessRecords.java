package io.souper.streams;

import io.souper.events.DeadLetter;
import io.souper.kafka.DeadLetters;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;

/**
 * Dead-letters input records without a key. Every Souper topic is keyed by soup id, and a record
 * without one cannot be repartitioned to its soup (Kafka Streams' repartition drops null keys
 * silently), so it is answered here, before the repartition, with its own topic, partition and offset.
 */
final class KeylessRecords extends ContextualProcessor<String, byte[], String, SpecificRecord> {

    private static final Logger LOG = LoggerFactory.getLogger(KeylessRecords.class);

    private final SoupStreamsMetrics metrics;

    KeylessRecords(SoupStreamsMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void process(Record<String, byte[]> record) {
        RecordMetadata meta = context().recordMetadata().orElseThrow();
        DeadLetter letter = DeadLetters.of(meta.topic(), meta.partition(), meta.offset(), null, record.value(),
                DeadLetters.INVALID_EVENT, "record without a key: every Souper topic is keyed by soup id",
                SoupProcessor.COMPONENT, Instant.ofEpochMilli(record.timestamp()));
        LOG.warn("dead letter from {}[{}]@{}: {} {}", letter.getOriginalTopic(), letter.getPartition(),
                letter.getOffset(), letter.getReasonCode(), letter.getMessage());
        metrics.deadLetter(letter.getReasonCode());
        context().forward(new Record<>(null, letter, record.timestamp()));
    }
}
