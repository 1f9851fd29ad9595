package io.souper.soup;

/** How a soup takes ingredients. */
public enum Policy {
    /** The paper's greedy soup over every checkpoint scored so far (sorted by held-out accuracy). */
    SORTED,
    /** Each checkpoint tried once, in arrival order, against the current soup. */
    ONLINE
}
