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

    /** F16 or BF16: averaged in fp64 like the others, but widened to F32 before any engine sees them. */
    public boolean isHalfPrecision() {
        return this == F16 || this == BF16;
    }
}
