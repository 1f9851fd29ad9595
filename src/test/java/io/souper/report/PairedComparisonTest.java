package io.souper.report;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.Locale;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PairedComparisonTest {

    @Test
    void exactMcNemarOnKnownCounts() {
        // 10 discordant images all in B's favour: p = 2 / 2^10
        assertEquals(2.0 / 1024, new PairedComparison(5000, 0, 10).pValue(), 1e-15);
        // no discordant image: nothing to tell them apart
        assertEquals(1.0, new PairedComparison(5000, 0, 0).pValue());
        // 3 vs 5: p = 2 * (C(8,0)+C(8,1)+C(8,2)+C(8,3)) / 2^8 = 2 * 93 / 256
        assertEquals(2.0 * 93 / 256, new PairedComparison(5000, 3, 5).pValue(), 1e-15);
        // balanced counts cap at 1
        assertEquals(1.0, new PairedComparison(5000, 7, 7).pValue());
    }

    @Test
    void aTenthOfAPointOnFiveThousandImagesIsNoise() {
        // the case: +0.16 held-out = 8 more images right out of 5,000, with 40 discordant
        PairedComparison small = new PairedComparison(5000, 16, 24);
        assertEquals(0.16, small.differencePoints(), 1e-12);
        assertFalse(small.significant());
        assertEquals("within noise", small.verdict());
        assertTrue(small.lowerPoints() < 0 && small.upperPoints() > 0);
        PairedComparison large = new PairedComparison(5000, 20, 80);
        assertTrue(large.significant());
        assertEquals("better beyond noise", large.verdict());
        assertTrue(large.describe().startsWith("+1.20 points ["), large.describe());
    }

    @Test
    void countsComeFromPerImageCorrectness() {
        BitSet a = BitSet.valueOf(new long[] {0b1011L});
        BitSet b = BitSet.valueOf(new long[] {0b0111L});
        PairedComparison c = PairedComparison.of(a, b, 6);
        assertEquals(new PairedComparison(6, 1, 1), c);
        assertThrows(IllegalArgumentException.class, () -> PairedComparison.of(a, b, 2));
        assertThrows(IllegalArgumentException.class, () -> new PairedComparison(10, 6, 5));
    }

    /** numpy on the per-image arrays, and exact rational binomial sums, computed independently. */
    @Test
    void agreesWithNumpyAndExactArithmetic() throws Exception {
        Random random = new Random(20220310L);
        for (int round = 0; round < 6; round++) {
            int n = 200 + random.nextInt(5000);
            double accA = 0.6 + 0.3 * random.nextDouble();
            double flip = 0.002 + 0.05 * random.nextDouble();
            BitSet a = new BitSet();
            BitSet b = new BitSet();
            StringBuilder input = new StringBuilder();
            for (int i = 0; i < n; i++) {
                boolean ra = random.nextDouble() < accA;
                boolean rb = random.nextDouble() < flip ? !ra : ra;
                a.set(i, ra);
                b.set(i, rb);
                input.append(ra ? '1' : '0');
            }
            input.append('\n');
            for (int i = 0; i < n; i++) {
                input.append(b.get(i) ? '1' : '0');
            }
            input.append('\n');
            String[] reference = python(input.toString()).trim().split(" ");
            PairedComparison c = PairedComparison.of(a, b, n);
            assertEquals(Double.parseDouble(reference[0]), c.differencePoints(), 1e-9, "difference, round " + round);
            assertEquals(Double.parseDouble(reference[1]), c.lowerPoints(), 1e-9, "lower, round " + round);
            assertEquals(Double.parseDouble(reference[2]), c.upperPoints(), 1e-9, "upper, round " + round);
            assertEquals(Double.parseDouble(reference[3]), c.pValue(), 1e-9 * Math.max(1e-300, c.pValue()) + 1e-12,
                    "p-value, round " + round);
        }
    }

    private static String python(String stdin) throws IOException, InterruptedException {
        String script = String.join("\n",
                "import sys, numpy as np",
                "from fractions import Fraction",
                "from math import comb",
                "a = np.array([int(ch) for ch in sys.stdin.readline().strip()], dtype=np.float64)",
                "b = np.array([int(ch) for ch in sys.stdin.readline().strip()], dtype=np.float64)",
                "d = b - a",
                "n = len(d)",
                "se = d.std(ddof=0) / np.sqrt(n)",
                "z = 1.959963984540054",
                "diff = 100 * d.mean()",
                "onlyA = int(((a == 1) & (b == 0)).sum()); onlyB = int(((a == 0) & (b == 1)).sum())",
                "m = onlyA + onlyB",
                "p = 1.0 if m == 0 else float(min(Fraction(1), 2 * Fraction(sum(comb(m, i) for i in range(min(onlyA, onlyB) + 1)), 2 ** m)))",
                "print(repr(diff), repr(diff - 100 * z * se), repr(diff + 100 * z * se), repr(p))");
        Process process = new ProcessBuilder("/usr/bin/python3", "-c", script).redirectErrorStream(true).start();
        process.getOutputStream().write(stdin.getBytes(StandardCharsets.US_ASCII));
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), out);
        return out.toLowerCase(Locale.ROOT);
    }
}
