package io.souper.web;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What the live page is told, in order: soup versions, decisions and checkpoint scores as
 * they reach the topics. Keeps the most recent events so a page that opens (or reconnects
 * with {@code Last-Event-ID}) first gets the history it missed, then the live events.
 */
public final class SoupEvents {

    /** One event of the stream: {@code type} is the SSE event name, {@code data} its JSON. */
    public record Event(long id, String type, JsonNode data) {
    }

    /** A page's view of the stream; closed when the page goes away or falls too far behind. */
    public final class Subscription implements AutoCloseable {
        private final BlockingQueue<Event> queue = new ArrayBlockingQueue<>(SUBSCRIBER_BUFFER);
        private volatile boolean overflowed;

        public BlockingQueue<Event> queue() {
            return queue;
        }

        /** True when events were dropped because the page did not keep up: it must reconnect. */
        public boolean overflowed() {
            return overflowed;
        }

        private void offer(Event event) {
            if (!queue.offer(event)) {
                overflowed = true;
            }
        }

        @Override
        public void close() {
            subscribers.remove(this);
        }
    }

    /** Events kept for pages that open later: enough for the chart of a long sweep. */
    static final int HISTORY = 5_000;
    /** Events a slow page may lag behind before it is cut off (it reconnects and replays). */
    static final int SUBSCRIBER_BUFFER = HISTORY + 1_000;

    private final Deque<Event> history = new ArrayDeque<>();
    private final List<Subscription> subscribers = new CopyOnWriteArrayList<>();
    private long nextId = 1;

    public synchronized void publish(String type, JsonNode data) {
        Event event = new Event(nextId++, type, data);
        history.addLast(event);
        if (history.size() > HISTORY) {
            history.removeFirst();
        }
        subscribers.forEach(s -> s.offer(event));
    }

    /**
     * Subscribes, with the kept events after {@code lastSeenId} (0: all of them) already queued,
     * so nothing is missed or doubled between the replay and the live events.
     */
    public synchronized Subscription subscribe(long lastSeenId) {
        Subscription subscription = new Subscription();
        for (Event event : history) {
            if (event.id() > lastSeenId) {
                subscription.offer(event);
            }
        }
        subscribers.add(subscription);
        return subscription;
    }

    public int subscriberCount() {
        return subscribers.size();
    }

    synchronized List<Event> history() {
        return new ArrayList<>(history);
    }
}
