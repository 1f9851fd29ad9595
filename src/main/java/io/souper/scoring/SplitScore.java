package io.souper.scoring;

import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The scores on one named split: top-1 {@code correct} of {@code total} scored targets (images, or
 * tokens of a language model), which ones ({@code right}, bit i = scored target i of the split), so
 * reports can pair two models image by image, and every metric by its wire name
 * ({@link ScoreResult#metrics()}: accuracy, top5_accuracy, mean_loss, perplexity).
 */
public record SplitScore(String name, long correct, long total, double accuracy, BitSet right,
                         Map<String, Double> metrics) {

    public SplitScore {
        if (right == null || right.cardinality() != correct || right.length() > total) {
            throw new IllegalArgumentException(name + ": the per-image marks must name exactly the " + correct
                    + " right of " + total + " images");
        }
        right = (BitSet) right.clone();
        metrics = metrics == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }

    /** Top-1 only (no other metric known). */
    public SplitScore(String name, long correct, long total, double accuracy, BitSet right) {
        this(name, correct, total, accuracy, right, Map.of());
    }

    static SplitScore of(String name, ScoreResult result) {
        return new SplitScore(name, result.correct(), result.total(), result.accuracy(), result.right(),
                result.metrics());
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
