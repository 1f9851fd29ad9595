package io.souper.scoring;

import java.util.Arrays;
import java.util.BitSet;

/**
 * Top-1 accuracy on one named split: {@code correct} of {@code total} images, and which ones
 * ({@code right}, bit i = image i of the split), so reports can pair two models image by image.
 */
public record SplitScore(String name, long correct, long total, double accuracy, BitSet right) {

    public SplitScore {
        if (right == null || right.cardinality() != correct || right.length() > total) {
            throw new IllegalArgumentException(name + ": the per-image marks must name exactly the " + correct
                    + " right of " + total + " images");
        }
        right = (BitSet) right.clone();
    }

    static SplitScore of(String name, ScoreResult result) {
        return new SplitScore(name, result.correct(), result.total(), result.accuracy(), result.right());
    }

    @Override
    public BitSet right() {
        return (BitSet) right.clone();
    }

    /**
     * The marks as a little-endian bitset of exactly ceil(total / 8) bytes (byte i / 8, bit i % 8),
     * the form SplitMetrics.correctMask carries; {@link BitSet#toByteArray()} alone would drop
     * trailing zero bytes.
     */
    public byte[] rightAsBytes() {
        return Arrays.copyOf(right.toByteArray(), Math.toIntExact((total + 7) / 8));
    }
}
