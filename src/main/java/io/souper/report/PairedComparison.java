package io.souper.report;

import java.util.BitSet;
import java.util.Locale;

/**
 * Two models compared on the same images: the difference of their accuracies with a paired 95%
 * confidence interval, and an exact McNemar test, so a report can say plainly whether a gain is
 * more than the noise of the split. Only the discordant images carry information: {@code onlyA}
 * (A right, B wrong) and {@code onlyB} (B right, A wrong), out of {@code images}.
 *
 * <p>Why paired: two models scored on the same 5,000 held-out images are strongly correlated, so
 * comparing two independent binomial intervals would overstate the noise many times over; the
 * paired interval uses the variance of the per-image difference (Wald, on the discordant counts).
 * The verdict comes from the exact McNemar test (binomial on the discordant pairs), which stays
 * valid when only a handful of images differ, where the Wald interval is too optimistic.
 *
 * @param images images both models were scored on
 * @param onlyA  images model A got right and B wrong
 * @param onlyB  images model B got right and A wrong
 */
public record PairedComparison(long images, long onlyA, long onlyB) {

    /** Two-sided level of the interval and the test. */
    public static final double ALPHA = 0.05;
    private static final double Z_975 = 1.959963984540054;

    public PairedComparison {
        if (images < 0 || onlyA < 0 || onlyB < 0 || onlyA + onlyB > images) {
            throw new IllegalArgumentException("impossible paired counts: " + onlyA + " + " + onlyB
                    + " discordant of " + images + " images");
        }
    }

    /**
     * Counts from per-image correctness of A and B over the same {@code images} images, in the
     * same order (bit i set = image i classified right).
     */
    public static PairedComparison of(BitSet correctA, BitSet correctB, int images) {
        if (correctA.length() > images || correctB.length() > images) {
            throw new IllegalArgumentException("correctness marks beyond the " + images + " images compared");
        }
        BitSet aOnly = (BitSet) correctA.clone();
        aOnly.andNot(correctB);
        BitSet bOnly = (BitSet) correctB.clone();
        bOnly.andNot(correctA);
        return new PairedComparison(images, aOnly.cardinality(), bOnly.cardinality());
    }

    /** Accuracy of B minus accuracy of A, in points (percent). */
    public double differencePoints() {
        return images == 0 ? 0.0 : 100.0 * (onlyB - onlyA) / images;
    }

    /** Lower end of the paired 95% interval of {@link #differencePoints()}. */
    public double lowerPoints() {
        return differencePoints() - halfWidthPoints();
    }

    /** Upper end of the paired 95% interval of {@link #differencePoints()}. */
    public double upperPoints() {
        return differencePoints() + halfWidthPoints();
    }

    /** Wald half-width of the paired difference: z * sqrt((b + c) - (b - c)^2 / n) / n. */
    private double halfWidthPoints() {
        if (images == 0) {
            return 0.0;
        }
        double n = images;
        double b = onlyA;
        double c = onlyB;
        double variance = Math.max(0.0, (b + c) - (b - c) * (b - c) / n);
        return 100.0 * Z_975 * Math.sqrt(variance) / n;
    }

    /**
     * Exact two-sided McNemar p-value: under "no difference" each discordant image is a fair coin,
     * so the smaller count is Binomial(b + c, 1/2); p = min(1, 2 P(X <= min(b, c))).
     */
    public double pValue() {
        long discordant = onlyA + onlyB;
        if (discordant == 0) {
            return 1.0;
        }
        long k = Math.min(onlyA, onlyB);
        return Math.min(1.0, 2.0 * binomialHalfCdf(k, discordant));
    }

    /** True when the difference is outside what chance explains at the 5% level. */
    public boolean significant() {
        return pValue() < ALPHA;
    }

    /** One phrase for a report, e.g. "+0.16 points [-0.21, +0.53], within noise (p = 0.41)". */
    public String describe() {
        return String.format(Locale.ROOT, "%+.2f points [%+.2f, %+.2f], %s (%s)", differencePoints(),
                lowerPoints(), upperPoints(), verdict(), formatP(pValue()));
    }

    /** "within noise", or whether B is better or worse than A beyond it. */
    public String verdict() {
        if (!significant()) {
            return "within noise";
        }
        return onlyB > onlyA ? "better beyond noise" : "worse beyond noise";
    }

    private static String formatP(double p) {
        return p < 0.001 ? "p < 0.001" : String.format(Locale.ROOT, "p = %.3f", p);
    }

    /** P(X <= k) for X ~ Binomial(n, 1/2), summed in log space so n in the millions is exact enough. */
    static double binomialHalfCdf(long k, long n) {
        double logHalfN = -n * Math.log(2.0);
        double sum = 0.0;
        double logTerm = logHalfN; // log C(n, 0) / 2^n
        for (long i = 0; i <= k; i++) {
            sum += Math.exp(logTerm);
            // C(n, i + 1) = C(n, i) * (n - i) / (i + 1)
            logTerm += Math.log((double) (n - i)) - Math.log((double) (i + 1));
        }
        return Math.min(1.0, sum);
    }
}
