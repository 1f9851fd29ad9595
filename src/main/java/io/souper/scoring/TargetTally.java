package io.souper.scoring;

import io.souper.errors.SouperException;
import java.util.BitSet;

/**
 * Every metric of one model on one split, accumulated target by target from its logits: top-1
 * (argmax, the first of equal maxima, as {@code torch.argmax} on the CPU), top-5 (the target's
 * logit is exceeded by fewer than 5 others), and the cross-entropy {@code logsumexp(z) - z[target]},
 * summed in double, so mean loss and perplexity = exp(mean loss) match
 * {@code torch.nn.functional.cross_entropy(reduction="mean")} over the same scored targets. A
 * target is one image's label or one position's next token; ignored targets never reach here.
 */
final class TargetTally {

    static final int TOP_K = 5;

    private final String split;
    private final BitSet right = new BitSet();
    private long scored;
    private long correct;
    private long top5;
    private double lossSum;

    TargetTally(String split) {
        this.split = split;
    }

    /**
     * One target: {@code row[offset, offset + classes)} times {@code scale} are its logits (the
     * argmax is taken on the row itself, so a positive scale, an ensemble's 1 / members, changes no
     * top-1 answer). {@code position} names it in errors (image or flat target index).
     */
    void add(double[] row, int offset, int classes, double scale, int target, long position) {
        int best = 0;
        double max = row[offset];
        for (int c = 0; c < classes; c++) {
            double v = row[offset + c];
            if (!Double.isFinite(v)) {
                throw new SouperException(ScoringErrorCode.NON_FINITE_OUTPUT, "logit " + v + " for target "
                        + position + " of " + split + ", class " + c);
            }
            if (v > max) {
                best = c;
                max = v;
            }
        }
        if (target < 0 || target >= classes) {
            throw new SouperException(ScoringErrorCode.LABEL_OUT_OF_RANGE, "target " + position + " of " + split
                    + " has label " + target + " but the network has " + classes + " classes");
        }
        double own = row[offset + target];
        int above = 0;
        double sumExp = 0;
        for (int c = 0; c < classes; c++) {
            double v = row[offset + c];
            if (v > own) {
                above++;
            }
            sumExp += Math.exp((v - max) * scale);
        }
        if (best == target) {
            right.set(Math.toIntExact(scored));
            correct++;
        }
        if (above < TOP_K) {
            top5++;
        }
        lossSum += max * scale + Math.log(sumExp) - own * scale;
        scored++;
    }

    ScoreResult result(int classes, float[] logits, long elapsedNanos) {
        return new ScoreResult(split, correct, scored, Math.max(classes, 0), logits, elapsedNanos, right, top5,
                lossSum);
    }
}
