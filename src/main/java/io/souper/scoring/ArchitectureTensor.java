package io.souper.scoring;

import io.souper.checkpoint.DType;
import java.util.Arrays;

/**
 * One entry of an architecture's state dict: what a checkpoint must provide under this name.
 * {@code buffer} marks tensors that are not parameters (BatchNorm running statistics...).
 */
public record ArchitectureTensor(String name, DType dtype, long[] shape, boolean buffer) {

    public ArchitectureTensor {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ArchitectureTensor t && name.equals(t.name) && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && buffer == t.buffer;
    }

    @Override
    public int hashCode() {
        return 31 * name.hashCode() + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return (buffer ? "buffer " : "parameter ") + name + " " + dtype + Arrays.toString(shape);
    }
}
