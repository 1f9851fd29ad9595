package io.souper.streams;

import io.souper.events.WaitingResult;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Evaluation results that arrived before their soup's definition (a training job may publish
 * before the soup is defined, or the definition may be on a lagging partition). They wait, bounded
 * in number per soup and in time, in two stores that commit with everything else:
 * {@link StoreNames#WAITING} holds the results in arrival order per soup, and
 * {@link StoreNames#WAITING_COUNTS} how many each soup has, so taking one more costs one read, not a
 * scan of what is already there.
 *
 * <p>Time is the records' own: a result's wait runs from its timestamp and ends when stream time
 * has moved {@code maxWait} past it. A replay therefore expires the same results at the same point
 * of the stream; and when nothing arrives, nothing expires, which loses nothing.
 */
final class WaitingResults {

    private static final Serializer<String> KEYS = Serdes.String().serializer();

    private final KeyValueStore<String, WaitingResult> results;
    private final KeyValueStore<String, Integer> counts;
    private final int maxPerSoup;
    private final Duration maxWait;

    WaitingResults(KeyValueStore<String, WaitingResult> results, KeyValueStore<String, Integer> counts,
                   int maxPerSoup, Duration maxWait) {
        this.results = results;
        this.counts = counts;
        this.maxPerSoup = maxPerSoup;
        this.maxWait = maxWait;
    }

    /** How many results wait for {@code soupId}. */
    int count(String soupId) {
        Integer count = counts.get(soupId);
        return count == null ? 0 : count;
    }

    /** True when {@code soupId} may not park another result: the caller dead-letters it instead. */
    boolean full(String soupId) {
        return count(soupId) >= maxPerSoup;
    }

    /** Keeps {@code result} for {@code soupId}; the caller checked {@link #full} first. */
    void park(String soupId, WaitingResult result) {
        int count = count(soupId);
        if (count >= maxPerSoup) {
            throw new IllegalStateException("soup " + soupId + " already has " + count + " waiting results");
        }
        // a result arriving twice (redelivered) overwrites itself: same key, counted once
        String key = StoreNames.sequenced(soupId, result.getOffset());
        if (results.get(key) == null) {
            counts.put(soupId, count + 1);
        }
        results.put(key, result);
    }

    /** Removes and returns everything waiting for {@code soupId}, in arrival order: its definition came. */
    List<WaitingResult> release(String soupId) {
        if (count(soupId) == 0) {
            return List.of();
        }
        List<KeyValue<String, WaitingResult>> waiting = new ArrayList<>();
        try (KeyValueIterator<String, WaitingResult> it = results.prefixScan(StoreNames.soupPrefix(soupId), KEYS)) {
            it.forEachRemaining(waiting::add);
        }
        waiting.forEach(entry -> results.delete(entry.key));
        counts.delete(soupId);
        return waiting.stream().map(entry -> entry.value).toList();
    }

    /** A result that waited too long, and the soup it waited for. */
    record Expired(String soupId, WaitingResult result) {
    }

    /**
     * Removes and returns the results that have waited more than {@code maxWait} at stream time
     * {@code streamTime}.
     */
    List<Expired> expire(long streamTime) {
        List<KeyValue<String, WaitingResult>> expired = new ArrayList<>();
        try (KeyValueIterator<String, WaitingResult> it = results.all()) {
            it.forEachRemaining(entry -> {
                if (streamTime - entry.value.getTimestamp().toEpochMilli() > maxWait.toMillis()) {
                    expired.add(entry);
                }
            });
        }
        List<Expired> out = new ArrayList<>();
        for (KeyValue<String, WaitingResult> entry : expired) {
            String soupId = StoreNames.soupOf(entry.key);
            results.delete(entry.key);
            int left = count(soupId) - 1;
            if (left > 0) {
                counts.put(soupId, left);
            } else {
                counts.delete(soupId);
            }
            out.add(new Expired(soupId, entry.value));
        }
        return out;
    }
}
