package io.souper.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class HalfFloatsProperties {

    @Example
    void everyF16AndBf16ValueRoundTripsExactly() {
        for (int bits = 0; bits < 1 << 16; bits++) {
            short h = (short) bits;
            double f16 = HalfFloats.f16ToDouble(h);
            double bf16 = HalfFloats.bf16ToDouble(h);
            if (Double.isNaN(f16)) {
                assertThat(Double.isNaN(HalfFloats.f16ToDouble(HalfFloats.doubleToF16(f16)))).isTrue();
            } else {
                assertThat(HalfFloats.doubleToF16(f16)).as("f16 bits %04x", bits).isEqualTo(h);
            }
            if (Double.isNaN(bf16)) {
                assertThat(Double.isNaN(HalfFloats.bf16ToDouble(HalfFloats.doubleToBf16(bf16)))).isTrue();
            } else {
                assertThat(HalfFloats.doubleToBf16(bf16)).as("bf16 bits %04x", bits).isEqualTo(h);
                assertThat(bf16).isEqualTo((double) Float.intBitsToFloat(bits << 16));
            }
        }
    }

    /** The bit-arithmetic bf16 narrowing equals the nearest bf16 of the float, for every float sign/exponent/near-tie. */
    @Property(tries = 20000)
    void bf16NarrowingOfFloatsIsNearest(@ForAll int floatBits) {
        float f = Float.intBitsToFloat(floatBits);
        if (Float.isNaN(f)) {
            assertThat(Double.isNaN(HalfFloats.bf16ToDouble(HalfFloats.doubleToBf16(f)))).isTrue();
        } else {
            assertThat(HalfFloats.doubleToBf16(f)).as("float bits %08x", floatBits).isEqualTo(HalfFloats.nearestBf16(f));
        }
    }

    @Example
    void knownRoundings() {
        assertThat(HalfFloats.doubleToF16(1.0)).isEqualTo((short) 0x3c00);
        assertThat(HalfFloats.doubleToF16(1 + 0x1p-11)).isEqualTo((short) 0x3c00); // tie -> even
        assertThat(HalfFloats.doubleToF16(1 + 3 * 0x1p-11)).isEqualTo((short) 0x3c02); // tie -> even
        assertThat(HalfFloats.nearestF16(1 + 0x1p-11 + 0x1p-40)).isEqualTo((short) 0x3c01); // just above the tie
        // PyTorch rounds double -> float -> half: the float is the tie itself, which goes to even
        assertThat(HalfFloats.doubleToF16(1 + 0x1p-11 + 0x1p-40)).isEqualTo((short) 0x3c00);
        assertThat(HalfFloats.nearestBf16(1 + 0x1p-8 + 0x1p-40)).isEqualTo((short) 0x3f81);
        assertThat(HalfFloats.doubleToBf16(1 + 0x1p-8 + 0x1p-40)).isEqualTo((short) 0x3f80);
        assertThat(HalfFloats.doubleToF16(65519.99)).isEqualTo((short) 0x7bff);
        assertThat(HalfFloats.doubleToF16(65520.0)).isEqualTo((short) 0x7c00);
        assertThat(HalfFloats.doubleToF16(-1e6)).isEqualTo((short) 0xfc00);
        assertThat(HalfFloats.doubleToF16(0x1p-25)).isEqualTo((short) 0x0000); // tie -> even (zero)
        assertThat(HalfFloats.doubleToF16(1.5 * 0x1p-25)).isEqualTo((short) 0x0001);
        assertThat(HalfFloats.doubleToF16(-0.0)).isEqualTo((short) 0x8000);
        assertThat(HalfFloats.doubleToF16(0x1p-14 - 0x1p-26)).isEqualTo((short) 0x0400); // rounds up into the normals
        assertThat(HalfFloats.doubleToBf16(1 + 0x1p-8)).isEqualTo((short) 0x3f80);
        assertThat(HalfFloats.doubleToBf16(1 + 3 * 0x1p-8)).isEqualTo((short) 0x3f82);
        assertThat(HalfFloats.doubleToBf16(Float.MAX_VALUE)).isEqualTo((short) 0x7f80);
        assertThat(HalfFloats.doubleToBf16(1e300)).isEqualTo((short) 0x7f80);
        assertThat(HalfFloats.doubleToBf16(0x1p-134)).isEqualTo((short) 0x0000);
    }

    /**
     * nearestF16 gives a nearest representable value (neither neighbour is strictly closer), and
     * the narrowing the averager uses is PyTorch's: the nearest value to the nearest float.
     */
    @Property(tries = 5000)
    void f16IsNearest(@ForAll("f16Range") double x) {
        checkNearest(x, HalfFloats.nearestF16(x), true);
        assertThat(HalfFloats.doubleToF16(x)).isEqualTo(HalfFloats.nearestF16((float) x));
    }

    @Property(tries = 5000)
    void bf16IsNearest(@ForAll("bf16Range") double x) {
        checkNearest(x, HalfFloats.nearestBf16(x), false);
        assertThat(HalfFloats.doubleToBf16(x)).isEqualTo(HalfFloats.nearestBf16((float) x));
    }

    @Provide
    Arbitrary<Double> f16Range() {
        return doubles(-27, 16);
    }

    @Provide
    Arbitrary<Double> bf16Range() {
        return doubles(-136, 128);
    }

    /** Every binade equally likely (subnormals included); mantissas with few or many low bits set, to hit near-ties. */
    private static Arbitrary<Double> doubles(int minExponent, int maxExponent) {
        Arbitrary<Long> mantissa = Arbitraries.longs().between(0, (1L << 52) - 1);
        Arbitrary<Integer> lowBitsCleared = Arbitraries.integers().between(0, 52);
        return Combinators.combine(Arbitraries.integers().between(minExponent, maxExponent), mantissa, lowBitsCleared,
                Arbitraries.of(1.0, -1.0)).as((e, m, cleared, sign) -> {
                    long bits = (m >>> cleared) << cleared;
                    return sign * Math.scalb(1.0 + bits * 0x1p-52, e);
                });
    }

    private static void checkNearest(double x, short bits, boolean f16) {
        double value = f16 ? HalfFloats.f16ToDouble(bits) : HalfFloats.bf16ToDouble(bits);
        if (Double.isInfinite(value)) {
            double max = f16 ? 65504.0 : Math.scalb(2 - 0x1p-7, 127);
            double halfUlp = f16 ? 16.0 : 0x1p119;
            assertThat(Math.abs(x)).isGreaterThanOrEqualTo(max + halfUlp);
            return;
        }
        BigDecimal exact = new BigDecimal(x);
        BigDecimal distance = exact.subtract(new BigDecimal(value)).abs();
        for (int step : new int[] {-1, 1}) {
            short neighbourBits = (short) (bits + step);
            double neighbour = f16 ? HalfFloats.f16ToDouble(neighbourBits) : HalfFloats.bf16ToDouble(neighbourBits);
            if (Double.isFinite(neighbour) && Math.signum(neighbour) * Math.signum(value) >= 0) {
                int cmp = exact.subtract(new BigDecimal(neighbour)).abs().compareTo(distance);
                assertThat(cmp).as("x=%s rounded to %s but %s is closer", x, value, neighbour).isGreaterThanOrEqualTo(0);
                if (cmp == 0) {
                    assertThat(bits & 1).as("tie must go to even").isZero();
                }
            }
        }
    }
}
