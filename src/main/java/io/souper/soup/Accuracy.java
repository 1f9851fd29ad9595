package io.souper.soup;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.math.BigInteger;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A model's scores on one split: top-1 accuracy as counts, so that comparisons are exact (ties
 * between checkpoints scored on the same split are real ties, not accidents of floating-point
 * rounding), and every other metric the evaluator reported by name ({@link Objective#key()}:
 * top5_accuracy, mean_loss, perplexity, or names of the evaluator's own). For a language model
 * the counts are scored tokens. {@link #compareTo} compares the top-1 fractions (1/2 and 2/4
 * compare equal although the records differ); {@link Objective#compare} compares by a soup's metric.
 *
 * @param metrics sorted by name, so the encoded state is deterministic; never null; finite values only
 */
public record Accuracy(long correct, long total,
                       @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, Double> metrics)
        implements Comparable<Accuracy> {

    public Accuracy {
        if (total <= 0) {
            throw new InvalidSoupInputException("accuracy total must be positive, got " + total);
        }
        if (correct < 0 || correct > total) {
            throw new InvalidSoupInputException("accuracy correct must be within [0, " + total + "], got " + correct);
        }
        TreeMap<String, Double> sorted = new TreeMap<>();
        if (metrics != null) {
            metrics.forEach((name, value) -> {
                if (name == null || value == null || !Double.isFinite(value)) {
                    // NaN would make every comparison false and the ranking meaningless
                    throw new InvalidSoupInputException("metric '" + name + "' must be a finite number, got " + value);
                }
                sorted.put(name, value);
            });
        }
        metrics = Collections.unmodifiableMap(sorted);
    }

    /** Top-1 counts only (a result of an evaluator that reported no other metric). */
    public Accuracy(long correct, long total) {
        this(correct, total, Map.of());
    }

    public double value() {
        return (double) correct / total;
    }

    @Override
    public int compareTo(Accuracy other) {
        try {
            return Long.compare(Math.multiplyExact(correct, other.total), Math.multiplyExact(other.correct, total));
        } catch (ArithmeticException overflow) {
            return BigInteger.valueOf(correct).multiply(BigInteger.valueOf(other.total))
                    .compareTo(BigInteger.valueOf(other.correct).multiply(BigInteger.valueOf(total)));
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%.4f (%d/%d)", value(), correct, total);
    }
}
