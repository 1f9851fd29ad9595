package io.souper.scoring;

import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The scores of one model (or ensemble) on one split, over its {@code total} scored targets (images,
 * or tokens of a language model): top-1 {@code correct}, {@code top5Correct}, and the summed
 * cross-entropy {@code lossSum} (nats). {@code logits} (row-major, {@code total x classes}, one row
 * per scored target) is kept only when asked for, e.g. to build an ensemble; else null.
 * {@code right} marks which targets were right at top-1 (bit i = scored target i), always kept: it
 * costs one bit a target and lets two models be compared image by image (paired error bars).
 */
public record ScoreResult(String split, long correct, long total, int classes, float[] logits, long elapsedNanos,
                          BitSet right, long top5Correct, double lossSum) {

    public static final String ACCURACY = "accuracy";
    public static final String TOP5_ACCURACY = "top5_accuracy";
    public static final String MEAN_LOSS = "mean_loss";
    public static final String PERPLEXITY = "perplexity";

    public ScoreResult {
        if (correct < 0 || correct > total) {
            throw new IllegalArgumentException("correct " + correct + " out of " + total);
        }
        if (right == null || right.cardinality() != correct || right.length() > total) {
            throw new IllegalArgumentException("the per-image marks must name exactly the " + correct + " right of "
                    + total + " images");
        }
        right = (BitSet) right.clone();
        if (top5Correct < correct || top5Correct > total) {
            throw new IllegalArgumentException("top-5 correct " + top5Correct + " must lie in [" + correct + ", "
                    + total + "]");
        }
        if (logits != null && logits.length != total * classes) {
            throw new IllegalArgumentException(logits.length + " logits for " + total + " images of " + classes
                    + " classes");
        }
    }

    /** correct / total (0 for an empty split). */
    public double accuracy() {
        return total == 0 ? 0.0 : (double) correct / total;
    }

    /** Mean cross-entropy per scored target (NaN for an empty split). */
    public double meanLoss() {
        return total == 0 ? Double.NaN : lossSum / total;
    }

    /**
     * Every metric by its wire name (accuracy, top5_accuracy, mean_loss, perplexity = exp(mean_loss));
     * empty for an empty split, which has none.
     */
    public Map<String, Double> metrics() {
        Map<String, Double> out = new LinkedHashMap<>();
        if (total > 0) {
            out.put(ACCURACY, accuracy());
            out.put(TOP5_ACCURACY, (double) top5Correct / total);
            out.put(MEAN_LOSS, meanLoss());
            out.put(PERPLEXITY, Math.exp(meanLoss()));
        }
        return out;
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
                && classes == r.classes && right.equals(r.right) && top5Correct == r.top5Correct
                && Double.compare(lossSum, r.lossSum) == 0 && java.util.Arrays.equals(logits, r.logits);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(split, correct, total, classes);
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "ScoreResult[%s: %d/%d = %.4f, top-5 %d, mean loss %.6f%s]",
                split, correct, total, accuracy(), top5Correct, meanLoss(), logits == null ? "" : ", with logits");
    }
}
