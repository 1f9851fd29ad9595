package io.souper.scoring;

import ai.djl.ndarray.types.DataType;
import io.souper.checkpoint.DType;

/** Checkpoint dtypes (safetensors names) and DJL's data types, both ways. */
final class TorchTypes {

    private TorchTypes() {
    }

    static DataType toDjl(DType dtype) {
        return switch (dtype) {
            case F64 -> DataType.FLOAT64;
            case F32 -> DataType.FLOAT32;
            case F16 -> DataType.FLOAT16;
            case BF16 -> DataType.BFLOAT16;
            case I64 -> DataType.INT64;
            case I32 -> DataType.INT32;
            case U8 -> DataType.UINT8;
            case BOOL -> DataType.BOOLEAN;
        };
    }

    /** Null for DJL types no checkpoint can hold (INT8, INT16, ...). */
    static DType fromDjl(DataType type) {
        return switch (type) {
            case FLOAT64 -> DType.F64;
            case FLOAT32 -> DType.F32;
            case FLOAT16 -> DType.F16;
            case BFLOAT16 -> DType.BF16;
            case INT64 -> DType.I64;
            case INT32 -> DType.I32;
            case UINT8 -> DType.U8;
            case BOOLEAN -> DType.BOOL;
            default -> null;
        };
    }

    /**
     * Whether a checkpoint tensor of dtype {@code from} may be converted to {@code to}: floating
     * point to floating point (precision may change, meaning does not) and integer to integer;
     * never between the two kinds, and bool only to bool.
     */
    static boolean convertible(DType from, DType to) {
        if (from == to) {
            return true;
        }
        if (from == DType.BOOL || to == DType.BOOL) {
            return false;
        }
        return from.isFloatingPoint() == to.isFloatingPoint();
    }
}
