package io.souper.soup;

import java.math.BigInteger;
import java.util.Locale;

/**
 * Top-1 accuracy as counts, so that comparisons are exact: ties between checkpoints scored on the
 * same split are real ties, not accidents of floating-point rounding.
 * {@link #compareTo} compares the fractions (1/2 and 2/4 compare equal although the records differ).
 */
public record Accuracy(long correct, long total) implements Comparable<Accuracy> {

    public Accuracy {
        if (total <= 0) {
            throw new InvalidSoupInputException("accuracy total must be positive, got " + total);
        }
        if (correct < 0 || correct > total) {
            throw new InvalidSoupInputException("accuracy correct must be within [0, " + total + "], got " + correct);
        }
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
