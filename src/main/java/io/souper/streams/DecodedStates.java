package io.souper.streams;

import io.souper.soup.SoupState;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The soup states a task stored last, kept decoded beside the bytes stored, so that a soup's next
 * record does not parse its state again: decoding the JSON state was a third of the stream thread's
 * time (bench/souper, JFR). The store stays the truth: a cached state is used only when the store
 * still holds exactly the bytes it was encoded to, so a state the store lost (a transaction aborted,
 * the store restored from its changelog) is decoded afresh. A state handed out is removed, because
 * the caller changes it; it comes back only through {@link #stored} with its new bytes. Bounded, least
 * recently used out.
 */
final class DecodedStates {

    private record Entry(byte[] bytes, SoupState state) {
    }

    private final Map<String, Entry> entries;

    DecodedStates(int capacity) {
        entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
                return size() > capacity;
            }
        };
    }

    /** The state for {@code stored} (the store's current bytes, or null), decoded at most once per change. */
    SoupState take(String soupId, byte[] stored) {
        Entry entry = entries.remove(soupId);
        if (stored == null) {
            return null;
        }
        if (entry != null && Arrays.equals(entry.bytes(), stored)) {
            return entry.state();
        }
        // a state that does not decode is a corrupt store or a bug, never the record's fault: it fails the task
        return SoupState.decode(stored);
    }

    /** {@code state} was just stored as {@code bytes}, and is not changed again until taken. */
    void stored(String soupId, byte[] bytes, SoupState state) {
        entries.put(soupId, new Entry(bytes, state));
    }

    void forget(String soupId) {
        entries.remove(soupId);
    }

    void clear() {
        entries.clear();
    }
}
