package io.souper.registry;

import java.util.Objects;
import org.apache.avro.Schema;

/** One version of a subject: the global schema id it maps to and the parsed schema. */
public record RegisteredSchema(String subject, int version, int id, Schema schema) {
    public RegisteredSchema {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(schema, "schema");
        if (version < 1 || id < 1) {
            throw new IllegalArgumentException(
                    "version and id start at 1, got version " + version + " id " + id + " for " + subject);
        }
    }
}
