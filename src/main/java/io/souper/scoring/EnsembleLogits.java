package io.souper.scoring;

import java.util.BitSet;

/**
 * The output ensemble baseline: the mean of several models' logits on the same split, then
 * top-1 accuracy of that mean. Sums are kept in double, so the result does not depend on the
 * order models are added in beyond the last bits, and memory is one {@code n x classes} array
 * whatever the number of models.
 */
final class EnsembleLogits {

    private final String split;
    private final int[] labels;
    private final int classes;
    private final double[] sum;
    private int members;

    EnsembleLogits(String split, int[] labels, int classes) {
        if (classes < 1) {
            throw new IllegalArgumentException("classes must be positive, got " + classes);
        }
        this.split = split;
        this.labels = labels.clone();
        this.classes = classes;
        this.sum = new double[Math.multiplyExact(labels.length, classes)];
    }

    /** Adds one model's result, which must have been scored with logits on the same split. */
    void add(ScoreResult result) {
        float[] logits = result.logitsView();
        if (logits == null) {
            throw new IllegalArgumentException("result for " + result.split() + " was scored without logits");
        }
        if (result.total() != labels.length || result.classes() != classes) {
            throw new IllegalArgumentException("result has " + result.total() + " images x " + result.classes()
                    + " classes, the ensemble " + labels.length + " x " + classes);
        }
        for (int i = 0; i < sum.length; i++) {
            sum[i] += logits[i];
        }
        members++;
    }

    /** Accuracy of the mean logits; its logits are the mean, rounded to float. */
    ScoreResult result() {
        if (members == 0) {
            throw new IllegalStateException("an ensemble of no models has no accuracy");
        }
        float[] mean = new float[sum.length];
        long correct = 0;
        BitSet right = new BitSet(labels.length);
        for (int i = 0; i < labels.length; i++) {
            int best = 0;
            double bestValue = sum[i * classes];
            for (int c = 1; c < classes; c++) {
                double v = sum[i * classes + c];
                if (v > bestValue) {
                    best = c;
                    bestValue = v;
                }
            }
            if (best == labels[i]) {
                right.set(i);
                correct++;
            }
            for (int c = 0; c < classes; c++) {
                mean[i * classes + c] = (float) (sum[i * classes + c] / members);
            }
        }
        return new ScoreResult(split, correct, labels.length, classes, mean, 0, right);
    }
}
