package io.souper.soup;

/**
 * When a candidate beats the soup, by the soup's {@link Objective} and its direction. Named
 * Acceptance (not AcceptRule) so the Kafka adapter can use this and the Avro-generated
 * {@code io.souper.events.AcceptRule} side by side without qualifying.
 */
public enum Acceptance {
    /** Strictly better, as the paper's reference code ({@code >} for accuracy, {@code <} for a loss). */
    GREATER,
    /** Not worse: ties are kept too. */
    GREATER_OR_EQUAL;

    /** By top-1 accuracy. */
    public boolean accepts(Accuracy candidate, Accuracy soup) {
        return accepts(Objective.ACCURACY, candidate, soup);
    }

    public boolean accepts(Objective objective, Accuracy candidate, Accuracy soup) {
        int cmp = objective.compare(candidate, soup);
        return this == GREATER ? cmp > 0 : cmp >= 0;
    }

    /** How a decision's reason writes the comparison: {@code >}, {@code >=}, or {@code <}, {@code <=} for a loss. */
    String symbol(Objective objective) {
        String strict = objective.higherIsBetter() ? ">" : "<";
        return this == GREATER ? strict : strict + "=";
    }
}
