package io.souper.scoring;

import io.souper.errors.SouperException;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import io.souper.data.LabeledImages;
import java.nio.FloatBuffer;
import java.util.BitSet;

/**
 * Top-1 accuracy of the weights currently in a {@link TorchScriptArchitecture} on a labelled
 * split: batched forward passes in eval mode with gradients off, argmax of the logits against
 * the labels. Deterministic: the batch size is fixed, so the same weights and data give the same
 * logits on the same device every time. Each batch lives in its own NDManager that is closed
 * before the next one, so memory stays at one batch.
 *
 * <p>Argmax takes the first of equal maxima (as {@code torch.argmax} does on the CPU).
 * Not thread-safe (the architecture is not).
 */
public final class Scorer {

    public static final int DEFAULT_BATCH_SIZE = 256;

    private final TorchScriptArchitecture architecture;
    private final int batchSize;

    public Scorer(TorchScriptArchitecture architecture, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        this.architecture = architecture;
        this.batchSize = batchSize;
    }

    public TorchScriptArchitecture architecture() {
        return architecture;
    }

    /** Accuracy of the current weights; logits are not kept. */
    public ScoreResult score(LabeledImages data) {
        return run(data, false);
    }

    /** Accuracy of the current weights, keeping the logits (for ensembles and cross-checks). */
    public ScoreResult scoreWithLogits(LabeledImages data) {
        return run(data, true);
    }

    private ScoreResult run(LabeledImages data, boolean keepLogits) {
        if (!architecture.weightsComplete()) {
            throw new IllegalStateException("architecture " + architecture.file() + " holds a half-loaded state "
                    + "dict; load a complete one before scoring");
        }
        long start = System.nanoTime();
        int n = data.size();
        int per = data.imageSize();
        float[] inputs = data.inputs();
        int[] labels = data.labels();
        PtSymbolBlock block = architecture.block();
        NDManager base = architecture.manager();
        ParameterStore parameters = new ParameterStore(base, false);
        float[] kept = null;
        int classes = -1;
        long correct = 0;
        BitSet right = new BitSet(n);
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false); // per thread in libtorch: no autograd graph for inference
        try {
            for (int from = 0; from < n; from += batchSize) {
                int count = Math.min(batchSize, n - from);
                try (NDManager batch = base.newSubManager()) {
                    NDArray x = batch.create(FloatBuffer.wrap(inputs, from * per, count * per),
                            new Shape(count, data.channels(), data.height(), data.width()));
                    float[] logits = forward(block, parameters, x, data, count);
                    int c = logits.length / count;
                    if (classes < 0) {
                        classes = c;
                        if (keepLogits) {
                            kept = new float[Math.multiplyExact(n, classes)];
                        }
                    }
                    correct += markCorrect(logits, labels, from, count, classes, data.name(), right);
                    if (kept != null) {
                        System.arraycopy(logits, 0, kept, from * classes, logits.length);
                    }
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
        return new ScoreResult(data.name(), correct, n, Math.max(classes, 0), kept, System.nanoTime() - start,
                right);
    }

    private static float[] forward(PtSymbolBlock block, ParameterStore parameters, NDArray x, LabeledImages data,
                                   int count) {
        NDList out;
        try {
            out = block.forward(parameters, new NDList(x), false);
        } catch (EngineException e) {
            throw new SouperException(ScoringErrorCode.INPUT_MISMATCH, "forward pass on images of shape "
                    + x.getShape() + " from " + data.name() + " failed: " + firstLine(e.getMessage()), e);
        }
        if (out.size() != 1) {
            throw new SouperException(ScoringErrorCode.BAD_OUTPUT, "the network returned " + out.size()
                    + " tensors, expected one [batch, classes] tensor of logits");
        }
        NDArray logits = out.get(0);
        Shape shape = logits.getShape();
        if (shape.dimension() != 2 || shape.get(0) != count || shape.get(1) < 1) {
            throw new SouperException(ScoringErrorCode.BAD_OUTPUT, "the network returned logits of shape " + shape
                    + " for a batch of " + count + ", expected [" + count + ", classes]");
        }
        if (logits.getDataType() != DataType.FLOAT32) {
            logits = logits.toType(DataType.FLOAT32, false);
        }
        return logits.toFloatArray();
    }

    /** Counts the batch's right answers and marks each in {@code right} (bit = image index in the split). */
    private static long markCorrect(float[] logits, int[] labels, int from, int count, int classes, String split,
                                    BitSet right) {
        long correct = 0;
        for (int i = 0; i < count; i++) {
            int row = i * classes;
            int best = 0;
            float bestValue = logits[row];
            for (int c = 0; c < classes; c++) {
                float v = logits[row + c];
                if (!Float.isFinite(v)) {
                    throw new SouperException(ScoringErrorCode.NON_FINITE_OUTPUT, "logit " + v + " for image "
                            + (from + i) + " of " + split + ", class " + c);
                }
                if (v > bestValue) {
                    best = c;
                    bestValue = v;
                }
            }
            int label = labels[from + i];
            if (label < 0 || label >= classes) {
                throw new SouperException(ScoringErrorCode.LABEL_OUT_OF_RANGE, "image " + (from + i) + " of " + split
                        + " has label " + label + " but the network has " + classes + " classes");
            }
            if (best == label) {
                right.set(from + i);
                correct++;
            }
        }
        return correct;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
