package io.souper.demo;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Accuracies (percent) of one model, or of one soup or ensemble, on the demo's splits.
 *
 * @param id      checkpoint or soup id
 * @param heldout accuracy on the held-out split (the only one decisions use)
 * @param test    accuracy on the test split
 * @param shifts  accuracy per distribution-shift split, by split name, in a stable order
 */
public record ModelScore(String id, double heldout, double test, Map<String, Double> shifts) {

    public ModelScore {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("a score needs an id");
        }
        check(id, "held-out", heldout);
        check(id, "test", test);
        shifts = Collections.unmodifiableMap(new LinkedHashMap<>(shifts));
        shifts.forEach((k, v) -> check(id, k, v));
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
