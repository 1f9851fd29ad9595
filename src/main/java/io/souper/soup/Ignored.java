package io.souper.soup;

/** Why an input changed nothing. Each is counted in the state; at-least-once delivery makes them normal. */
public enum Ignored {
    /** A request id this soup never issued (another soup's, or a number beyond what it issued). */
    UNKNOWN_REQUEST,
    /** A request this soup issued and has already settled: a duplicate or late delivery. */
    NOT_IN_FLIGHT,
    /**
     * A result made against an older soup version: either it claims an older base version than the
     * request in flight, or (online) the soup was replaced while it was in flight. A result of the
     * second kind is still memoised by ingredient set; it only decides nothing.
     */
    STALE_BASE_VERSION,
    /** A checkpoint that was already scored or already failed. */
    DUPLICATE_CHECKPOINT
}
