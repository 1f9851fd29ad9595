package io.souper.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;

/**
 * Dtype conversions done in Java, for the scoring side. DJL 0.36 with libtorch 2.7 aborts the
 * whole process ({@code terminate called without an active exception}) as soon as a BFLOAT16
 * array is created or converted to ({@code NDManager.create(buffer, shape, BFLOAT16)},
 * {@code toType(BFLOAT16)}): the JNI layer passes DJL's enum ordinal, which libtorch's dtype
 * table does not map. So half-precision checkpoint tensors are widened to F32 here, exactly,
 * and only F32 reaches the engine; the model's own parameters are F32 anyway.
 */
public final class TensorConversions {

    /** Elements converted per step, so the temporary heap array stays small whatever the tensor. */
    private static final int CHUNK = 1 << 16;

    private TensorConversions() {
    }

    /**
     * {@code tensor} as F32, in a new direct little-endian buffer (what DJL hands to libtorch
     * without copying). F16 and BF16 widen exactly; F32 is returned unchanged. Any other dtype
     * is refused: narrowing F64, or reinterpreting integers, is not this function's business.
     */
    public static Tensor toFloat32(Tensor tensor) {
        DType from = tensor.dtype();
        if (from == DType.F32) {
            return tensor;
        }
        if (!from.isHalfPrecision()) {
            throw new IllegalArgumentException("tensor '" + tensor.name() + "' is " + from
                    + "; only F16 and BF16 are widened to F32");
        }
        long count = tensor.elementCount();
        if (count > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("tensor '" + tensor.name() + "' has " + count
                    + " elements, too many for one F32 buffer");
        }
        ShortBuffer in = tensor.data().asShortBuffer();
        ByteBuffer out = ByteBuffer.allocateDirect((int) count * 4).order(ByteOrder.LITTLE_ENDIAN);
        short[] halves = new short[(int) Math.min(CHUNK, count)];
        float[] floats = new float[halves.length];
        while (in.hasRemaining()) {
            int n = Math.min(halves.length, in.remaining());
            in.get(halves, 0, n);
            for (int i = 0; i < n; i++) {
                floats[i] = from == DType.BF16 ? bf16ToFloat(halves[i]) : (float) HalfFloats.f16ToDouble(halves[i]);
            }
            out.asFloatBuffer().put(floats, 0, n);
            out.position(out.position() + n * 4);
        }
        return new Tensor(tensor.name(), DType.F32, tensor.shape(), out.flip());
    }

    /** bfloat16 is the upper half of a float's bits. */
    static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }
}
