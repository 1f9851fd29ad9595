package io.souper.scoring;

import java.util.BitSet;

/**
 * Top-1 accuracy of one model (or ensemble) on one split. {@code logits} (row-major,
 * {@code total x classes}) is kept only when asked for, e.g. to build an ensemble; else null.
 * {@code right} marks which images were classified right (bit i = image i), always kept: it
 * costs one bit an image and lets two models be compared image by image (paired error bars).
 */
public record ScoreResult(String split, long correct, long total, int classes, float[] logits, long elapsedNanos,
                          BitSet right) {

    public ScoreResult {
        if (correct < 0 || correct > total) {
            throw new IllegalArgumentException("correct " + correct + " out of " + total);
        }
        if (right == null || right.cardinality() != correct || right.length() > total) {
            throw new IllegalArgumentException("the per-image marks must name exactly the " + correct + " right of "
                    + total + " images");
        }
        right = (BitSet) right.clone();
        if (logits != null && logits.length != total * classes) {
            throw new IllegalArgumentException(logits.length + " logits for " + total + " images of " + classes
                    + " classes");
        }
    }

    /** correct / total (0 for an empty split). */
    public double accuracy() {
        return total == 0 ? 0.0 : (double) correct / total;
    }

    /** A copy of the per-image marks: bit i set when image i was classified right. */
    @Override
    public BitSet right() {
        return (BitSet) right.clone();
    }

    /** A copy of the logits, or null if they were not kept. */
    @Override
    public float[] logits() {
        return logits == null ? null : logits.clone();
    }

    /** The logits without copying; callers in this package promise not to write. */
    float[] logitsView() {
        return logits;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScoreResult r && split.equals(r.split) && correct == r.correct && total == r.total
                && classes == r.classes && right.equals(r.right) && java.util.Arrays.equals(logits, r.logits);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(split, correct, total, classes);
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "ScoreResult[%s: %d/%d = %.4f%s]", split, correct, total,
                accuracy(), logits == null ? "" : ", with logits");
    }
}
