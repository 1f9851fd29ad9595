package io.souper.scoring;

/**
 * The output ensemble baseline: the mean of several models' logits on the same split, then its
 * scores (top-1, top-5, mean loss, perplexity). Sums are kept in double, so the result does not
 * depend on the order models are added in beyond the last bits, and memory is one
 * {@code targets x classes} array whatever the number of models.
 */
final class EnsembleLogits {

    private final String split;
    private final int[] targets;
    private final int classes;
    private final double[] sum;
    private int members;

    /** @param targets the split's scored targets, in order (one per logits row) */
    EnsembleLogits(String split, int[] targets, int classes) {
        if (classes < 1) {
            throw new IllegalArgumentException("classes must be positive, got " + classes);
        }
        this.split = split;
        this.targets = targets.clone();
        this.classes = classes;
        this.sum = new double[Math.multiplyExact(targets.length, classes)];
    }

    /** Adds one model's result, which must have been scored with logits on the same split. */
    void add(ScoreResult result) {
        float[] logits = result.logitsView();
        if (logits == null) {
            throw new IllegalArgumentException("result for " + result.split() + " was scored without logits");
        }
        if (result.total() != targets.length || result.classes() != classes) {
            throw new IllegalArgumentException("result has " + result.total() + " targets x " + result.classes()
                    + " classes, the ensemble " + targets.length + " x " + classes);
        }
        for (int i = 0; i < sum.length; i++) {
            sum[i] += logits[i];
        }
        members++;
    }

    /**
     * Scores of the mean logits; its logits are the mean, rounded to float. The top-1 answer is the
     * argmax of the sums (the mean's, without a rounding that could make a tie).
     */
    ScoreResult result() {
        if (members == 0) {
            throw new IllegalStateException("an ensemble of no models has no accuracy");
        }
        float[] mean = new float[sum.length];
        TargetTally tally = new TargetTally(split);
        for (int i = 0; i < targets.length; i++) {
            tally.add(sum, i * classes, classes, 1.0 / members, targets[i], i);
            for (int c = 0; c < classes; c++) {
                mean[i * classes + c] = (float) (sum[i * classes + c] / members);
            }
        }
        return tally.result(classes, mean, 0);
    }
}
