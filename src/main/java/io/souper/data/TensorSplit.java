package io.souper.data;

import io.souper.checkpoint.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A data split of any task, as the scorer sees it: named input tensors passed to the model's
 * {@code forward} in order, all with the same first (example) dimension n, and integer targets of
 * shape [n, ...]. The model must return logits of shape target shape + [classes]:
 * {@code [n, classes]} against class labels {@code [n]}, {@code [n, T, vocab]} against next-token
 * targets {@code [n, T]}. A target equal to {@code ignoreIndex} (padding) is not scored.
 *
 * @param targets row-major, n * targetsPerExample values, each a class index or the ignore index
 * @param ignoreIndex nullable: every target is scored
 */
public record TensorSplit(String name, List<InputTensor> inputs, long[] targetShape, int[] targets,
                          Long ignoreIndex) {

    public TensorSplit {
        inputs = List.copyOf(inputs);
        targetShape = targetShape.clone();
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("split '" + name + "' has no input tensor");
        }
        if (targetShape.length < 1) {
            throw new IllegalArgumentException("split '" + name + "': targets need a first (example) dimension");
        }
        long n = targetShape[0];
        long count = 1;
        for (int d = 1; d < targetShape.length; d++) {
            if (targetShape[d] < 1) {
                throw new IllegalArgumentException("split '" + name + "': targets of shape "
                        + Arrays.toString(targetShape) + " hold nothing to score per example");
            }
        }
        for (long d : targetShape) {
            count = Math.multiplyExact(count, d);
        }
        if (count != targets.length) {
            throw new IllegalArgumentException("split '" + name + "': " + targets.length + " targets for shape "
                    + Arrays.toString(targetShape));
        }
        for (InputTensor input : inputs) {
            if (input.shape()[0] != n) {
                throw new IllegalArgumentException("split '" + name + "': input " + input + " has "
                        + input.shape()[0] + " examples, the targets " + n);
            }
        }
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] < 0 && (ignoreIndex == null || targets[i] != ignoreIndex)) {
                throw new IllegalArgumentException("split '" + name + "': target " + targets[i] + " at flat index "
                        + i + " is neither a class index nor the ignore index " + ignoreIndex);
            }
        }
    }

    /** An image split: F32 inputs [n, c, h, w], labels [n]. */
    public static TensorSplit of(LabeledImages images, Long ignoreIndex) {
        ByteBuffer bytes = ByteBuffer.allocate(Math.multiplyExact(images.inputs().length, 4))
                .order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(images.inputs());
        InputTensor inputs = new InputTensor(DatasetFiles.INPUTS, DType.F32,
                new long[] {images.size(), images.channels(), images.height(), images.width()}, bytes.array());
        return new TensorSplit(images.name(), List.of(inputs), new long[] {images.size()}, images.labels(),
                ignoreIndex);
    }

    public static TensorSplit of(LabeledImages images) {
        return of(images, null);
    }

    /** Number of examples (sequences, images): batches are cut along this dimension. */
    public int size() {
        return (int) targetShape[0];
    }

    /** Targets of one example: 1 for a class label, T for a sequence of next tokens. */
    public int targetsPerExample() {
        return size() == 0 ? 0 : targets.length / size();
    }

    public boolean scored(int flatIndex) {
        return ignoreIndex == null || targets[flatIndex] != ignoreIndex;
    }

    /** The targets that are scored, in order: what accuracies count and ensembles compare to. */
    public int[] scoredTargets() {
        return Arrays.stream(targets).filter(t -> ignoreIndex == null || t != ignoreIndex).toArray();
    }

    @Override
    public long[] targetShape() {
        return targetShape.clone();
    }

    @Override
    public int[] targets() {
        return targets.clone();
    }

    /** Examples [from, to) as a new split sharing nothing with this one. */
    public TensorSplit slice(String sliceName, int from, int to) {
        List<InputTensor> sliced = new ArrayList<>(inputs.size());
        inputs.forEach(t -> sliced.add(t.slice(from, to)));
        long[] shape = targetShape.clone();
        shape[0] = to - from;
        int per = targetsPerExample();
        return new TensorSplit(sliceName, sliced, shape, Arrays.copyOfRange(targets, from * per, to * per),
                ignoreIndex);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSplit s && name.equals(s.name) && inputs.equals(s.inputs)
                && Arrays.equals(targetShape, s.targetShape) && Arrays.equals(targets, s.targets)
                && java.util.Objects.equals(ignoreIndex, s.ignoreIndex);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(targetShape);
    }

    @Override
    public String toString() {
        return "TensorSplit[" + name + ": " + inputs + " -> targets " + Arrays.toString(targetShape)
                + (ignoreIndex == null ? "" : ", ignore " + ignoreIndex) + "]";
    }
}
