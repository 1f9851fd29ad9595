package io.souper.demo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;

/**
 * Softmax cross-entropy against smoothed one-hot targets, averaged over the batch: the target
 * puts {@code 1 - epsilon + epsilon/K} on the true class and {@code epsilon/K} elsewhere, as
 * PyTorch's {@code F.cross_entropy(..., label_smoothing=epsilon)}. DJL's own
 * SoftmaxCrossEntropyLoss has no smoothing, hence this class.
 */
public final class LabelSmoothedCrossEntropy extends Loss {

    private final int classes;
    private final float epsilon;

    public LabelSmoothedCrossEntropy(int classes, double epsilon) {
        super("label_smoothed_cross_entropy");
        if (classes < 2 || !(epsilon >= 0 && epsilon < 1)) {
            throw new IllegalArgumentException("need at least 2 classes and epsilon in [0, 1), got " + classes + ", "
                    + epsilon);
        }
        this.classes = classes;
        this.epsilon = (float) epsilon;
    }

    /** labels: int64 class indices [n]; predictions: logits [n, K]. */
    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        NDArray logits = predictions.singletonOrThrow();
        NDArray logProbabilities = logits.logSoftmax(1);
        NDArray target = labels.singletonOrThrow().oneHot(classes).toType(logits.getDataType(), false)
                .mul(1f - epsilon).add(epsilon / classes);
        return logProbabilities.mul(target).sum(new int[] {1}).neg().mean();
    }
}
