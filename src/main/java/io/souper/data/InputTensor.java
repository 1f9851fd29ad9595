package io.souper.data;

import io.souper.checkpoint.DType;
import java.util.Arrays;

/**
 * One named input of a split, any dtype and shape [n, ...]: raw little-endian bytes, row-major,
 * so example i is the bytes [i * rowBytes, (i + 1) * rowBytes). Batches are cut along the first
 * dimension without converting anything: the model gets exactly the file's dtype.
 */
public record InputTensor(String name, DType dtype, long[] shape, byte[] data) {

    public InputTensor {
        if (shape.length < 1) {
            throw new IllegalArgumentException("input '" + name + "' must have a first (example) dimension");
        }
        shape = shape.clone();
        long elements = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("input '" + name + "' has a negative dimension: "
                        + Arrays.toString(shape));
            }
            elements = Math.multiplyExact(elements, d);
        }
        if (Math.multiplyExact(elements, dtype.byteSize()) != data.length) {
            throw new IllegalArgumentException("input '" + name + "' of shape " + Arrays.toString(shape) + " "
                    + dtype + " needs " + elements * dtype.byteSize() + " bytes, got " + data.length);
        }
    }

    /** Number of examples (the first dimension). */
    public int size() {
        return (int) shape[0];
    }

    /** Shape of one example (everything after the first dimension). */
    public long[] rowShape() {
        return Arrays.copyOfRange(shape, 1, shape.length);
    }

    public int rowBytes() {
        return shape[0] == 0 ? 0 : data.length / (int) shape[0];
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Examples [from, to) as a new tensor sharing nothing with this one. */
    public InputTensor slice(int from, int to) {
        long[] s = shape.clone();
        s[0] = to - from;
        return new InputTensor(name, dtype, s, Arrays.copyOfRange(data, from * rowBytes(), to * rowBytes()));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InputTensor t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + " " + dtype;
    }
}
