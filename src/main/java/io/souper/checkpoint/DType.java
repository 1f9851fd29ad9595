package io.souper.checkpoint;

/** Element types a checkpoint tensor may have, by their safetensors names. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), U8(1), BOOL(1);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    public int byteSize() {
        return byteSize;
    }

    public boolean isFloatingPoint() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /**
     * The dtype a soup of a tensor of this dtype and one of {@code other} is written in, as
     * PyTorch's {@code torch.promote_types} decides it for floats: the same dtype, F64 beside
     * anything, otherwise F32 (F16 beside BF16 or F32: neither half format holds the other's
     * values, and F32 holds both exactly). Empty for integer dtypes that differ, which have no
     * average.
     */
    public java.util.Optional<DType> promotedWith(DType other) {
        if (this == other) {
            return java.util.Optional.of(this);
        }
        if (!isFloatingPoint() || !other.isFloatingPoint()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(this == F64 || other == F64 ? F64 : F32);
    }

    /** F16 or BF16: averaged in fp64 like the others, but widened to F32 before any engine sees them. */
    public boolean isHalfPrecision() {
        return this == F16 || this == BF16;
    }
}
