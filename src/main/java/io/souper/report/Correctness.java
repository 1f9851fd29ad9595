package io.souper.report;

import java.nio.ByteBuffer;
import java.util.BitSet;

/**
 * Which of a split's images one model classified right (bit i = image i), as the evaluator
 * sends it in SplitMetrics.correctMask: what pairs two models image by image.
 *
 * @param images images in the split
 * @param right  the images classified right
 */
public record Correctness(int images, BitSet right) {

    public Correctness {
        if (images < 0 || right.length() > images) {
            throw new IllegalArgumentException("marks beyond the " + images + " images of the split");
        }
        right = (BitSet) right.clone();
    }

    /**
     * Reads a little-endian bitset (byte i / 8, bit i % 8) of a split of {@code total} images of which
     * {@code correct} were right; a mask that disagrees with the counts is refused, naming the split.
     */
    public static Correctness fromMask(String split, ByteBuffer mask, long total, long correct) {
        BitSet right = BitSet.valueOf(mask.duplicate());
        if (right.length() > total || right.cardinality() != correct) {
            throw new IllegalArgumentException("the correctness mask of " + split + " marks " + right.cardinality()
                    + " images right (highest " + (right.length() - 1) + ") but the split has " + correct
                    + " right of " + total);
        }
        return new Correctness(Math.toIntExact(total), right);
    }

    @Override
    public BitSet right() {
        return (BitSet) right.clone();
    }

    public int correct() {
        return right.cardinality();
    }

    /** {@code other} minus this, paired over the same images. */
    public PairedComparison against(Correctness other) {
        if (other.images != images) {
            throw new IllegalArgumentException("cannot pair " + images + " images with " + other.images);
        }
        return PairedComparison.of(right, other.right, images);
    }
}
