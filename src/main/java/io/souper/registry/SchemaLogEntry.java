package io.souper.registry;

import java.util.Objects;

/** One durable change to registry state; replaying every entry in order rebuilds the state. */
sealed interface SchemaLogEntry {

    /** {@code schema} became version {@code version} of {@code subject}, with global id {@code id}. */
    record SchemaVersion(String subject, int version, int id, String schema) implements SchemaLogEntry {
        public SchemaVersion {
            Objects.requireNonNull(subject, "subject");
            Objects.requireNonNull(schema, "schema");
        }
    }

    /** The compatibility level of {@code subject} ({@code null}: the global level) was set. */
    record Config(String subject, CompatibilityLevel level) implements SchemaLogEntry {
        public Config {
            Objects.requireNonNull(level, "level");
        }
    }
}
