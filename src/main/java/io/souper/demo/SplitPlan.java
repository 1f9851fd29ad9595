package io.souper.demo;

/**
 * How the demo cuts Fashion-MNIST, in the paper's manner: the held-out split (the only data
 * soup decisions look at) is carved from the <em>training</em> set and never trained on; the
 * rest of the training set is divided into a pre-training part and a fine-tuning part; the
 * test split is the official test set (or a fixed subset of it, when the time budget asks);
 * each distribution shift is a corrupted copy of the first {@code shiftImages} test images.
 *
 * @param heldout       images carved from the training set for held-out scoring
 * @param pretrain      images of the training set the shared start is pre-trained on
 * @param finetune      images of the training set the fine-tunes draw from; -1 = all the rest
 * @param test          images of the official test set (at most 10,000)
 * @param shiftImages   images per distribution-shift split (a prefix of the test selection)
 * @param seed          seed of the permutations and corruptions: same seed, same bytes
 */
public record SplitPlan(int heldout, int pretrain, int finetune, int test, int shiftImages, long seed) {

    /** Seed of the standard plans (the date of the model-soups paper, 2022-03-10). */
    public static final long DEFAULT_SEED = 20220310L;

    public SplitPlan {
        if (heldout <= 0 || pretrain <= 0 || test <= 0 || shiftImages <= 0) {
            throw new IllegalArgumentException("split sizes must be positive: " + this);
        }
        if (finetune == 0 || finetune < -1) {
            throw new IllegalArgumentException("finetune must be positive or -1 (all the rest): " + this);
        }
        if (shiftImages > test) {
            throw new IllegalArgumentException("shift splits are corrupted test images, so shiftImages (" + shiftImages
                    + ") cannot exceed test (" + test + ")");
        }
    }

    /**
     * The default demo. The evaluator scores every checkpoint on held-out, test and every shift
     * on one core while two runs train, so these sizes decide whether it keeps up: 5,000 held-out
     * (what decisions see; a 1-point difference is outside its noise), 5,000 test and 1,000 per
     * shift (15,000 images per checkpoint). See bench/demo/README.md.
     */
    public static SplitPlan standard() {
        return new SplitPlan(5_000, 20_000, -1, 5_000, 1_000, DEFAULT_SEED);
    }

    /** {@code --quick}: fewer images everywhere, same construction. */
    public static SplitPlan quick() {
        return new SplitPlan(2_000, 10_000, -1, 2_000, 500, DEFAULT_SEED);
    }

    /** A stable name for the files of this plan, so different plans never share a cache. */
    public String key() {
        return "h" + heldout + "-p" + pretrain + "-f" + (finetune < 0 ? "rest" : Integer.toString(finetune))
                + "-t" + test + "-s" + shiftImages + "-seed" + seed;
    }
}
