package io.souper.demo;

import io.souper.data.LabeledImages;
import io.souper.data.PixelNormalisation;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The demo's data splits, cut from Fashion-MNIST's training and test sets by a {@link SplitPlan}.
 * Everything is a pure function of the two sets and the plan (seeded permutations, seeded
 * corruptions), so a restarted demo and a second machine get the same bytes.
 *
 * @param shifts one corrupted copy of the first {@code plan.shiftImages()} test images per
 *               {@link Corruption}, in enum order, named {@code shift-<short name>}
 */
public record DemoSplits(LabeledImages heldout, LabeledImages pretrain, LabeledImages finetune,
                         LabeledImages test, List<LabeledImages> shifts) {

    public DemoSplits {
        shifts = List.copyOf(shifts);
    }

    /** Every split, held-out first, in the order the report lists them. */
    public List<LabeledImages> all() {
        List<LabeledImages> out = new ArrayList<>(List.of(heldout, pretrain, finetune, test));
        out.addAll(shifts);
        return out;
    }

    /** The splits scored for every model: held-out, test and the shifts. */
    public List<LabeledImages> scored() {
        List<LabeledImages> out = new ArrayList<>(List.of(heldout, test));
        out.addAll(shifts);
        return out;
    }

    /**
     * Cuts the splits. {@code train} and {@code test} must be normalised with
     * {@code normalisation} (corruptions work in pixel space and normalise again).
     */
    public static DemoSplits cut(LabeledImages train, LabeledImages test, SplitPlan plan,
                                 PixelNormalisation normalisation) {
        int rest = train.size() - plan.heldout() - plan.pretrain();
        if (rest <= 0 || (plan.finetune() > rest)) {
            throw new IllegalArgumentException("the training set has " + train.size() + " images, too few for "
                    + plan.heldout() + " held-out + " + plan.pretrain() + " pre-train + "
                    + (plan.finetune() < 0 ? "at least one" : Integer.toString(plan.finetune())) + " fine-tune");
        }
        if (plan.test() > test.size()) {
            throw new IllegalArgumentException("the plan wants " + plan.test() + " test images, the test set has "
                    + test.size());
        }
        int finetune = plan.finetune() < 0 ? rest : plan.finetune();
        int[] order = permutation(train.size(), new SplittableRandom(plan.seed()));
        int h = plan.heldout();
        int p = plan.pretrain();
        LabeledImages heldout = select(train, order, 0, h, "heldout");
        LabeledImages pretrain = select(train, order, h, h + p, "pretrain");
        LabeledImages tune = select(train, order, h + p, h + p + finetune, "finetune");

        // The whole test set keeps its official order; a subset is a seeded draw of it.
        int[] testOrder = plan.test() == test.size() ? identity(test.size())
                : permutation(test.size(), new SplittableRandom(plan.seed() + 1));
        LabeledImages testSplit = select(test, testOrder, 0, plan.test(), "test");
        LabeledImages shiftSource = select(test, testOrder, 0, plan.shiftImages(), "test-prefix");
        List<LabeledImages> shifts = new ArrayList<>();
        for (Corruption c : Corruption.values()) {
            shifts.add(corrupt(shiftSource, c, normalisation, plan.seed() + 100 + c.ordinal()));
        }
        return new DemoSplits(heldout, pretrain, tune, testSplit, shifts);
    }

    /** A corrupted copy of {@code source}, named {@code shift-<name>}. */
    public static LabeledImages corrupt(LabeledImages source, Corruption corruption,
                                        PixelNormalisation normalisation, long seed) {
        if (normalisation.mean().length != 1 || normalisation.std().length != 1) {
            throw new IllegalArgumentException("corruptions need one mean and one std (grey images), got " + normalisation);
        }
        float mean = normalisation.mean()[0];
        float std = normalisation.std()[0];
        float[] pixels = source.inputs().clone();
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = pixels[i] * std + mean; // back to [0, 1]
        }
        SplittableRandom random = new SplittableRandom(seed);
        int plane = source.height() * source.width();
        for (int image = 0; image < source.size(); image++) {
            for (int ch = 0; ch < source.channels(); ch++) {
                // One child generator per image: image i's corruption does not depend on how
                // many random numbers image i-1 happened to draw.
                corruption.apply(pixels, (image * source.channels() + ch) * plane, source.height(), source.width(),
                        random.split());
            }
        }
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (pixels[i] - mean) / std;
        }
        return new LabeledImages("shift-" + corruption.shortName(), pixels, source.labels().clone(),
                source.channels(), source.height(), source.width());
    }

    /** Images {@code order[from..to)} of {@code data} as a new split. */
    static LabeledImages select(LabeledImages data, int[] order, int from, int to, String name) {
        int per = data.imageSize();
        float[] inputs = new float[Math.multiplyExact(to - from, per)];
        int[] labels = new int[to - from];
        for (int i = from; i < to; i++) {
            System.arraycopy(data.inputs(), order[i] * per, inputs, (i - from) * per, per);
            labels[i - from] = data.labels()[order[i]];
        }
        return new LabeledImages(name, inputs, labels, data.channels(), data.height(), data.width());
    }

    /** Fisher-Yates with a seeded generator: the same seed always gives the same order. */
    static int[] permutation(int n, SplittableRandom random) {
        int[] out = identity(n);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = out[i];
            out[i] = out[j];
            out[j] = t;
        }
        return out;
    }

    private static int[] identity(int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = i;
        }
        return out;
    }
}
