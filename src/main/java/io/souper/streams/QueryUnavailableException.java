package io.souper.streams;

/** A query that cannot be answered now (rebalancing, an instance unreachable): HTTP 503. */
public final class QueryUnavailableException extends RuntimeException {
    public QueryUnavailableException(String message) {
        super(message);
    }
}
