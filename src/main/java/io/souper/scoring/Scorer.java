package io.souper.scoring;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import io.souper.data.InputTensor;
import io.souper.data.LabeledImages;
import io.souper.data.TensorSplit;
import io.souper.errors.SouperException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The scores of the weights currently in a {@link TorchScriptArchitecture} on a split: batched
 * forward passes in eval mode with gradients off, the split's input tensors passed to
 * {@code forward} in their declared order, batches cut along the first dimension; the logits
 * (shape: the targets' shape + [classes]) against the targets give top-1, top-5, mean
 * cross-entropy and perplexity ({@link TargetTally}). Deterministic: the batch size is fixed, so
 * the same weights and data give the same logits on the same device every time. Each batch lives
 * in its own NDManager that is closed before the next one, so memory stays at one batch.
 *
 * <p>Not thread-safe (the architecture is not).
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

    /** Scores of the current weights on images; logits are not kept. */
    public ScoreResult score(LabeledImages data) {
        return run(TensorSplit.of(data), false);
    }

    /** Scores of the current weights on images, keeping the logits (for ensembles and cross-checks). */
    public ScoreResult scoreWithLogits(LabeledImages data) {
        return run(TensorSplit.of(data), true);
    }

    /** Scores of the current weights on a split of any task; logits are not kept. */
    public ScoreResult score(TensorSplit data) {
        return run(data, false);
    }

    /** Scores of the current weights on a split of any task, keeping the logits of the scored targets. */
    public ScoreResult scoreWithLogits(TensorSplit data) {
        return run(data, true);
    }

    private ScoreResult run(TensorSplit data, boolean keepLogits) {
        if (!architecture.weightsComplete()) {
            throw new IllegalStateException("architecture " + architecture.file() + " holds a half-loaded state "
                    + "dict; load a complete one before scoring");
        }
        long start = System.nanoTime();
        int n = data.size();
        int per = data.targetsPerExample();
        int[] targets = data.targets();
        long scoredTargets = data.scoredTargets().length;
        PtSymbolBlock block = architecture.block();
        NDManager base = architecture.manager();
        ParameterStore parameters = new ParameterStore(base, false);
        TargetTally tally = new TargetTally(data.name());
        float[] kept = null;
        int keptRows = 0;
        int classes = -1;
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false); // per thread in libtorch: no autograd graph for inference
        try {
            for (int from = 0; from < n; from += batchSize) {
                int count = Math.min(batchSize, n - from);
                try (NDManager batch = base.newSubManager()) {
                    NDList inputs = new NDList();
                    for (InputTensor input : data.inputs()) {
                        inputs.add(batchOf(batch, input, from, count));
                    }
                    float[] logits = forward(block, parameters, inputs, data, count);
                    int c = logits.length / (count * per);
                    if (classes < 0) {
                        classes = c;
                        if (keepLogits) {
                            kept = new float[Math.toIntExact(Math.multiplyExact(scoredTargets, (long) classes))];
                        }
                    }
                    double[] row = new double[classes];
                    for (int r = 0; r < count * per; r++) {
                        int flat = from * per + r;
                        if (!data.scored(flat)) {
                            continue;
                        }
                        for (int k = 0; k < classes; k++) {
                            row[k] = logits[r * classes + k];
                        }
                        tally.add(row, 0, classes, 1.0, targets[flat], flat);
                        if (kept != null) {
                            System.arraycopy(logits, r * classes, kept, keptRows * classes, classes);
                            keptRows++;
                        }
                    }
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
        return tally.result(classes, kept, System.nanoTime() - start);
    }

    /**
     * Examples [from, from + count) of one input, in the file's dtype. The bytes are little-endian,
     * as safetensors stores them and as the CPUs torch runs on (x86-64, arm64) hold them natively.
     */
    private static NDArray batchOf(NDManager batch, InputTensor input, int from, int count) {
        int rowBytes = input.rowBytes();
        ByteBuffer direct = ByteBuffer.allocateDirect(Math.multiplyExact(count, rowBytes)).order(ByteOrder.nativeOrder());
        direct.put(input.data(), from * rowBytes, count * rowBytes).flip();
        long[] shape = input.shape();
        shape[0] = count;
        DataType type = TorchTypes.toDjl(input.dtype());
        return batch.create(direct, new Shape(shape), type);
    }

    private static float[] forward(PtSymbolBlock block, ParameterStore parameters, NDList inputs, TensorSplit data,
                                   int count) {
        NDList out;
        try {
            out = block.forward(parameters, inputs, false);
        } catch (EngineException e) {
            List<String> shapes = new ArrayList<>();
            inputs.forEach(x -> shapes.add(x.getShape() + " " + x.getDataType()));
            throw new SouperException(ScoringErrorCode.INPUT_MISMATCH, "forward pass on inputs " + shapes
                    + " from " + data.name() + " failed: " + firstLine(e.getMessage()), e);
        }
        long[] targetShape = data.targetShape();
        targetShape[0] = count;
        String expected = Arrays.toString(targetShape).replace("]", ", classes]");
        if (out.size() != 1) {
            throw new SouperException(ScoringErrorCode.BAD_OUTPUT, "the network returned " + out.size()
                    + " tensors, expected one " + expected + " tensor of logits");
        }
        NDArray logits = out.get(0);
        Shape shape = logits.getShape();
        boolean fits = shape.dimension() == targetShape.length + 1 && shape.get(targetShape.length) >= 1;
        for (int d = 0; fits && d < targetShape.length; d++) {
            fits = shape.get(d) == targetShape[d];
        }
        if (!fits) {
            throw new SouperException(ScoringErrorCode.BAD_OUTPUT, "the network returned logits of shape " + shape
                    + " for a batch of " + count + ", expected " + expected);
        }
        if (logits.getDataType() != DataType.FLOAT32) {
            logits = logits.toType(DataType.FLOAT32, false);
        }
        return logits.toFloatArray();
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
