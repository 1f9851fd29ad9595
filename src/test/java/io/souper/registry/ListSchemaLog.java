package io.souper.registry;

import java.util.ArrayList;
import java.util.List;

/** A schema log in a list: survives "restarts" of servers built on it, like the Kafka topic does. */
final class ListSchemaLog implements SchemaLog {
    final List<SchemaLogEntry> entries = new ArrayList<>();
    boolean failWrites;

    @Override
    public synchronized List<SchemaLogEntry> readAll() {
        return List.copyOf(entries);
    }

    @Override
    public synchronized void append(SchemaLogEntry entry) {
        if (failWrites) {
            throw new SchemaRegistryException(50001, "store unavailable (test)");
        }
        entries.add(entry);
    }
}
