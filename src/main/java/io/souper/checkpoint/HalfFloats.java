package io.souper.checkpoint;

/**
 * IEEE half (F16) and bfloat16 (BF16) conversions. Widening is exact. Narrowing from double
 * does what PyTorch does for {@code t.double().to(torch.float16 / torch.bfloat16)}: c10's
 * Half and BFloat16 are built from a float, so the double is first rounded to float, then
 * the float to the 16-bit type, both round-half-to-even. That double rounding can differ
 * from rounding the double directly in the last bit of a rare tie; a soup must equal
 * PyTorch's average bit for bit (issue 14), so PyTorch's rule wins over "nearest to the
 * fp64 mean". (Java 17 has no Float.float16ToFloat; the float-to-16-bit step is done by
 * scaling with powers of two, which is exact, and Math.rint, which rounds half to even.)
 */
final class HalfFloats {

    private HalfFloats() {
    }

    static double f16ToDouble(short h) {
        int bits = h & 0xffff;
        boolean negative = (bits & 0x8000) != 0;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        double magnitude;
        if (exponent == 0x1f) {
            magnitude = mantissa == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else if (exponent == 0) {
            magnitude = Math.scalb((double) mantissa, -24);
        } else {
            magnitude = Math.scalb((double) (mantissa | 0x400), exponent - 25);
        }
        return negative ? -magnitude : magnitude;
    }

    /** PyTorch's double -> float16: through float (see the class comment). */
    static short doubleToF16(double value) {
        return nearestF16((float) value);
    }

    /**
     * PyTorch's double -> bfloat16: through float (see the class comment), then c10's
     * round_to_nearest_even on the float's bits (the hot path of every bf16 average, so bit
     * arithmetic rather than {@link #nearestBf16}, which it equals for every float).
     */
    static short doubleToBf16(double value) {
        float f = (float) value;
        int bits = Float.floatToRawIntBits(f);
        if (f != f) {
            return (short) ((bits >>> 16 & 0x8000) | 0x7fc0);
        }
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    /** The float16 nearest to {@code value}, ties to even. */
    static short nearestF16(double value) {
        int sign = (Double.doubleToRawLongBits(value) < 0) ? 0x8000 : 0;
        double magnitude = Math.abs(value);
        if (Double.isNaN(value)) {
            return (short) (sign | 0x7e00);
        }
        if (magnitude >= 65520.0) { // half of the way from 65504 (max) to 65536: ties go to even, i.e. infinity
            return (short) (sign | 0x7c00);
        }
        int exponent = Math.getExponent(magnitude);
        if (exponent < -14) { // subnormal (or rounds up to the smallest normal, whose bits continue seamlessly)
            return (short) (sign | (int) Math.rint(Math.scalb(magnitude, 24)));
        }
        int significand = (int) Math.rint(Math.scalb(magnitude, 10 - exponent)); // in [1024, 2048]
        return (short) (sign | (((exponent + 15) << 10) + significand - 1024));
    }

    static double bf16ToDouble(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }

    /** The bfloat16 nearest to {@code value}, ties to even. */
    static short nearestBf16(double value) {
        int sign = (Double.doubleToRawLongBits(value) < 0) ? 0x8000 : 0;
        double magnitude = Math.abs(value);
        if (Double.isNaN(value)) {
            return (short) (sign | 0x7fc0);
        }
        int exponent = Math.getExponent(magnitude);
        if (exponent > 127) {
            return (short) (sign | 0x7f80);
        }
        if (exponent < -126) {
            return (short) (sign | (int) Math.rint(Math.scalb(magnitude, 133)));
        }
        int significand = (int) Math.rint(Math.scalb(magnitude, 7 - exponent)); // in [128, 256]; 256 carries
        return (short) (sign | (((exponent + 127) << 7) + significand - 128)); // exponent 255 = infinity
    }
}
