package io.souper.registry;

import java.util.List;

/**
 * Where registry state is made durable. {@link #append} returns only once the entry is stored, so a
 * registry that appends before it answers never hands out an id it could forget.
 */
interface SchemaLog extends AutoCloseable {

    /** Every stored entry, oldest first. */
    List<SchemaLogEntry> readAll();

    /** Stores {@code entry} durably, or throws. */
    void append(SchemaLogEntry entry);

    @Override
    default void close() {}

    /** No durability: the in-memory registry of {@code mock://} URLs. */
    SchemaLog NONE = new SchemaLog() {
        @Override
        public List<SchemaLogEntry> readAll() {
            return List.of();
        }

        @Override
        public void append(SchemaLogEntry entry) {}
    };
}
