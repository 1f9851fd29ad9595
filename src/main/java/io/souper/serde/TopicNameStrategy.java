package io.souper.serde;

import org.apache.avro.Schema;

/** {@code <topic>-key} / {@code <topic>-value}: one record type per topic (Confluent's default). */
public final class TopicNameStrategy implements SubjectNameStrategy {
    @Override
    public String subjectName(String topic, boolean isKey, Schema schema) {
        return topic + (isKey ? "-key" : "-value");
    }
}
