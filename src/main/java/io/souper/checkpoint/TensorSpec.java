package io.souper.checkpoint;

import java.util.Arrays;

/** Name, dtype and shape of a tensor: what a safetensors header says about it, without its bytes. */
public record TensorSpec(String name, DType dtype, long[] shape) {

    public TensorSpec {
        if (name == null || dtype == null || shape == null) {
            throw new IllegalArgumentException("tensor spec needs a name, a dtype and a shape");
        }
        shape = shape.clone();
        Tensor.elementCount(shape); // rejects negative dimensions and overflow early
    }

    public static TensorSpec of(Tensor tensor) {
        return new TensorSpec(tensor.name(), tensor.dtype(), tensor.shape());
    }

    public long elementCount() {
        return Tensor.elementCount(shape);
    }

    public long byteSize() {
        return Math.multiplyExact(elementCount(), (long) dtype.byteSize());
    }

    public TensorSpec withDtype(DType other) {
        return new TensorSpec(name, other, shape);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public boolean sameShape(TensorSpec other) {
        return Arrays.equals(shape, other.shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * name.hashCode() + dtype.hashCode()) + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
