package io.souper.scoring;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * A least-recently-used map with a fixed capacity; entries pushed out are handed to
 * {@code onEvict} (to close a model or delete a file). Not thread-safe: each cache belongs
 * to the evaluator's worker thread.
 */
final class BoundedLru<K, V> {

    private final int capacity;
    private final BiConsumer<K, V> onEvict;
    private final LinkedHashMap<K, V> entries = new LinkedHashMap<>(16, 0.75f, true);

    BoundedLru(int capacity, BiConsumer<K, V> onEvict) {
        if (capacity < 1) {
            throw new IllegalArgumentException("cache capacity must be positive, got " + capacity);
        }
        this.capacity = capacity;
        this.onEvict = onEvict;
    }

    Optional<V> get(K key) {
        return Optional.ofNullable(entries.get(key));
    }

    /** Adds or replaces; a replaced value is not handed to {@code onEvict} (it may share resources with the new one). */
    void put(K key, V value) {
        entries.put(key, value);
        while (entries.size() > capacity) {
            Iterator<Map.Entry<K, V>> eldest = entries.entrySet().iterator();
            Map.Entry<K, V> e = eldest.next();
            eldest.remove();
            onEvict.accept(e.getKey(), e.getValue());
        }
    }

    void remove(K key) {
        V removed = entries.remove(key);
        if (removed != null) {
            onEvict.accept(key, removed);
        }
    }
}
