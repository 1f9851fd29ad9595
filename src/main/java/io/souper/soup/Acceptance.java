package io.souper.soup;

/**
 * When a candidate beats the soup. Named Acceptance (not AcceptRule) so the Kafka adapter can use
 * this and the Avro-generated {@code io.souper.events.AcceptRule} side by side without qualifying.
 */
public enum Acceptance {
    /** Strictly greater, as the paper's reference code ({@code >}). */
    GREATER,
    /** Greater or equal: ties are kept too. */
    GREATER_OR_EQUAL;

    public boolean accepts(Accuracy candidate, Accuracy soup) {
        int cmp = candidate.compareTo(soup);
        return this == GREATER ? cmp > 0 : cmp >= 0;
    }

    String symbol() {
        return this == GREATER ? ">" : ">=";
    }
}
