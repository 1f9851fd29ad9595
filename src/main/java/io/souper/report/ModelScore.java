package io.souper.report;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Accuracies (percent) of one model, or of one soup or ensemble, on a soup's splits.
 *
 * @param id      checkpoint or soup id
 * @param heldout accuracy on the held-out split (the only one decisions use)
 * @param test    accuracy on the test split
 * @param shifts  accuracy per distribution-shift split, by split name, in a stable order
 * @param marks   which images were right, by {@link #HELD_OUT}, {@link #TEST} or {@link #shiftKey};
 *                empty when the evaluator sent none (then no error bars)
 */
public record ModelScore(String id, double heldout, double test, Map<String, Double> shifts,
                         Map<String, Correctness> marks) {

    public static final String HELD_OUT = "held-out";
    public static final String TEST = "test";

    /** A shift's key in {@code marks}: prefixed, so a shift called "test" stays a shift. */
    public static String shiftKey(String shift) {
        return "shift:" + shift;
    }

    /** Scores without per-image marks. */
    public ModelScore(String id, double heldout, double test, Map<String, Double> shifts) {
        this(id, heldout, test, shifts, Map.of());
    }

    public ModelScore {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("a score needs an id");
        }
        check(id, "held-out", heldout);
        check(id, "test", test);
        shifts = Collections.unmodifiableMap(new LinkedHashMap<>(shifts));
        shifts.forEach((k, v) -> check(id, k, v));
        marks = Collections.unmodifiableMap(new LinkedHashMap<>(marks));
    }

    /** Mean accuracy over the shift splits (NaN when there are none). */
    public double shiftMean() {
        return shifts.values().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    private static void check(String id, String split, double v) {
        if (!(v >= 0 && v <= 100)) {
            throw new IllegalArgumentException(id + ": accuracy on " + split + " must be a percentage in [0, 100], got "
                    + v);
        }
    }
}
