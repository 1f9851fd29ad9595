package io.souper.serde;

import org.apache.avro.Schema;

/** The record's full name: one subject per type, shared by every topic that carries it. */
public final class RecordNameStrategy implements SubjectNameStrategy {
    @Override
    public String subjectName(String topic, boolean isKey, Schema schema) {
        return schema.getFullName();
    }
}
