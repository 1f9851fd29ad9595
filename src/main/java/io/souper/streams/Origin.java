package io.souper.streams;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.api.ContextualFixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Where a record the souper reads was first published. The souper reads its inputs through its own
 * repartition topic (see {@link SouperTopology}), so the topic, partition and offset Kafka Streams
 * reports are the repartition topic's: the input's own are carried in headers, stamped before the
 * repartition, so that dead letters and the definition/result dispatch name the topic a user wrote to.
 */
record Origin(String topic, int partition, long offset) {

    static final String TOPIC = "souper.origin.topic";
    static final String PARTITION = "souper.origin.partition";
    static final String OFFSET = "souper.origin.offset";

    /** The stamped origin, or the record's own metadata when it was read straight from an input topic. */
    static Origin of(Record<?, ?> record, RecordMetadata meta) {
        Headers headers = record.headers();
        Header topic = headers.lastHeader(TOPIC);
        Header partition = headers.lastHeader(PARTITION);
        Header offset = headers.lastHeader(OFFSET);
        if (topic == null || partition == null || offset == null
                || partition.value().length != Integer.BYTES || offset.value().length != Long.BYTES) {
            return new Origin(meta.topic(), meta.partition(), meta.offset());
        }
        return new Origin(new String(topic.value(), StandardCharsets.UTF_8), ByteBuffer.wrap(partition.value()).getInt(),
                ByteBuffer.wrap(offset.value()).getLong());
    }

    /** Stamps each input record with its topic, partition and offset before it is repartitioned. */
    static final class Stamp extends ContextualFixedKeyProcessor<String, byte[], byte[]> {
        @Override
        public void process(FixedKeyRecord<String, byte[]> record) {
            RecordMetadata meta = context().recordMetadata().orElseThrow();
            Headers headers = record.headers();
            // a producer's own headers of these names would be taken for the origin: replace them
            headers.remove(TOPIC).remove(PARTITION).remove(OFFSET);
            headers.add(TOPIC, meta.topic().getBytes(StandardCharsets.UTF_8));
            headers.add(PARTITION, ByteBuffer.allocate(Integer.BYTES).putInt(meta.partition()).array());
            headers.add(OFFSET, ByteBuffer.allocate(Long.BYTES).putLong(meta.offset()).array());
            context().forward(record);
        }
    }
}
