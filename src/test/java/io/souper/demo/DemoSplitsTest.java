package io.souper.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.souper.data.DatasetFiles;
import io.souper.data.LabeledImages;
import io.souper.data.PixelNormalisation;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoSplitsTest {

    private static final PixelNormalisation NORM = PixelNormalisation.FASHION_MNIST;

    /** n images of 1x6x6 whose every pixel encodes the image index (so we can tell them apart), label = index % 10. */
    static LabeledImages numbered(String name, int n) {
        float[] inputs = new float[n * 36];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            float pixel = (i % 256) / 255f;
            for (int k = 0; k < 36; k++) {
                inputs[i * 36 + k] = (pixel + k / 1000f - NORM.mean()[0]) / NORM.std()[0];
            }
            labels[i] = i % 10;
        }
        return new LabeledImages(name, inputs, labels, 1, 6, 6);
    }

    private static final SplitPlan PLAN = new SplitPlan(20, 30, -1, 40, 10, 42);

    @Test
    void heldOutPretrainAndFinetuneAreDisjointAndCoverTheTrainingSet() {
        DemoSplits s = DemoSplits.cut(numbered("train", 100), numbered("test", 50), PLAN, NORM);
        assertThat(s.heldout().size()).isEqualTo(20);
        assertThat(s.pretrain().size()).isEqualTo(30);
        assertThat(s.finetune().size()).isEqualTo(50);
        Set<Float> seen = new HashSet<>();
        for (LabeledImages split : List.of(s.heldout(), s.pretrain(), s.finetune())) {
            for (int i = 0; i < split.size(); i++) {
                assertThat(seen.add(split.inputs()[i * 36])).as("image seen twice").isTrue();
            }
        }
        assertThat(seen).hasSize(100);
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherHeldOut() {
        DemoSplits one = DemoSplits.cut(numbered("train", 100), numbered("test", 50), PLAN, NORM);
        DemoSplits two = DemoSplits.cut(numbered("train", 100), numbered("test", 50), PLAN, NORM);
        for (int i = 0; i < one.all().size(); i++) {
            assertThat(one.all().get(i).inputs()).isEqualTo(two.all().get(i).inputs());
            assertThat(one.all().get(i).labels()).isEqualTo(two.all().get(i).labels());
        }
        SplitPlan other = new SplitPlan(20, 30, -1, 40, 10, 43);
        DemoSplits three = DemoSplits.cut(numbered("train", 100), numbered("test", 50), other, NORM);
        assertThat(three.heldout().inputs()).isNotEqualTo(one.heldout().inputs());
    }

    @Test
    void labelsTravelWithTheirImages() {
        DemoSplits s = DemoSplits.cut(numbered("train", 100), numbered("test", 50), PLAN, NORM);
        for (LabeledImages split : s.all()) {
            if (split.name().startsWith("shift-")) {
                continue;
            }
            for (int i = 0; i < split.size(); i++) {
                int index = Math.round((split.inputs()[i * 36] * NORM.std()[0] + NORM.mean()[0]) * 255f);
                assertThat(split.labels()[i]).isEqualTo(index % 10);
            }
        }
    }

    @Test
    void shiftsAreCorruptedCopiesOfTheFirstTestImages() {
        DemoSplits s = DemoSplits.cut(numbered("train", 100), numbered("test", 50), PLAN, NORM);
        assertThat(s.shifts()).extracting(LabeledImages::name)
                .containsExactly("shift-noise", "shift-rotate", "shift-blur", "shift-contrast", "shift-occlude");
        for (LabeledImages shift : s.shifts()) {
            assertThat(shift.size()).isEqualTo(10);
            assertThat(shift.labels()).isEqualTo(Arrays.copyOf(s.test().labels(), 10));
            assertThat(shift.inputs()).isNotEqualTo(Arrays.copyOf(s.test().inputs(), 10 * 36));
        }
        assertThat(s.scored()).extracting(LabeledImages::name).startsWith("heldout", "test").hasSize(7);
    }

    @Test
    void aSubsetOfTheTestSetIsASeededDrawAndTheWholeSetKeepsItsOrder() {
        LabeledImages test = numbered("test", 50);
        DemoSplits whole = DemoSplits.cut(numbered("train", 100), test,
                new SplitPlan(20, 30, -1, 50, 10, 42), NORM);
        assertThat(whole.test().inputs()).isEqualTo(test.inputs());
        DemoSplits part = DemoSplits.cut(numbered("train", 100), test, PLAN, NORM);
        assertThat(part.test().size()).isEqualTo(40);
        assertThat(part.test().inputs()).isNotEqualTo(Arrays.copyOf(test.inputs(), 40 * 36));
    }

    @Test
    void impossiblePlansAreRefusedSayingWhy() {
        assertThatThrownBy(() -> DemoSplits.cut(numbered("train", 40), numbered("test", 50), PLAN, NORM))
                .hasMessageContaining("40 images");
        assertThatThrownBy(() -> DemoSplits.cut(numbered("train", 100), numbered("test", 30), PLAN, NORM))
                .hasMessageContaining("40 test images");
        assertThatThrownBy(() -> new SplitPlan(10, 10, -1, 5, 6, 1)).hasMessageContaining("shiftImages");
        assertThatThrownBy(() -> new SplitPlan(10, 10, 0, 5, 5, 1)).hasMessageContaining("finetune");
    }

    @Test
    void splitFilesRoundTripAndAreReusedOnceComplete(@TempDir Path dir) throws Exception {
        DemoSplits s = DemoSplits.cut(numbered("train", 100), numbered("test", 50), PLAN, NORM);
        SplitFiles files = SplitFiles.write(dir.resolve("splits"), s, PLAN);
        assertThat(files.files().keySet()).containsExactly("heldout", "pretrain", "finetune", "test", "shift-noise",
                "shift-rotate", "shift-blur", "shift-contrast", "shift-occlude");
        LabeledImages back = DatasetFiles.read(files.file("shift-blur"));
        assertThat(back.inputs()).isEqualTo(s.shifts().get(2).inputs());
        assertThat(back.labels()).isEqualTo(s.shifts().get(2).labels());
        assertThat(files.uri("heldout").getScheme()).isEqualTo("file");
        assertThat(files.shiftNames()).hasSize(5);
        assertThatThrownBy(() -> files.file("nope")).hasMessageContaining("nope");
    }

    @Test
    void corruptionsAreDeterministicPerSeedAndStayInPixelRange() {
        LabeledImages src = numbered("t", 8);
        for (Corruption c : Corruption.values()) {
            LabeledImages a = DemoSplits.corrupt(src, c, NORM, 7);
            LabeledImages b = DemoSplits.corrupt(src, c, NORM, 7);
            assertThat(a.inputs()).as(c.name()).isEqualTo(b.inputs());
            float lo = (0f - NORM.mean()[0]) / NORM.std()[0] - 1e-5f;
            float hi = (1f - NORM.mean()[0]) / NORM.std()[0] + 1e-5f;
            for (float v : a.inputs()) {
                assertThat(v).as(c.name()).isBetween(lo, hi);
            }
            assertThat(Corruption.fromShortName(c.shortName())).isEqualTo(c);
        }
        assertThat(DemoSplits.corrupt(src, Corruption.GAUSSIAN_NOISE, NORM, 7).inputs())
                .isNotEqualTo(DemoSplits.corrupt(src, Corruption.GAUSSIAN_NOISE, NORM, 8).inputs());
        assertThatThrownBy(() -> Corruption.fromShortName("fog")).hasMessageContaining("fog");
    }

    @Test
    void contrastKeepsTheMeanAndShrinksTheSpread() {
        float[] img = new float[28 * 28];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < img.length; i++) {
            img[i] = (float) r.nextDouble();
        }
        float[] out = img.clone();
        Corruption.CONTRAST.apply(out, 0, 28, 28, new SplittableRandom(0));
        assertThat(mean(out)).isCloseTo(mean(img), org.assertj.core.data.Offset.offset(1e-5));
        assertThat(spread(out)).isCloseTo(spread(img) * 0.25, org.assertj.core.data.Offset.offset(1e-4));
    }

    @Test
    void rotationBy90DegreesMovesAPixelAQuarterTurnAndBlurKeepsAFlatInteriorFlat() {
        // A 5x5 image with one bright pixel right of the centre: rotating it moves the pixel.
        float[] img = new float[25];
        img[2 * 5 + 4] = 1f;
        float[] rotated = img.clone();
        Corruption.ROTATION.apply(rotated, 0, 5, 5, new SplittableRandom(3));
        assertThat(rotated[2 * 5 + 4]).isLessThan(1f); // moved away (15-30 degrees)
        float[] flat = new float[28 * 28];
        Arrays.fill(flat, 0.5f);
        Corruption.BLUR.apply(flat, 0, 28, 28, new SplittableRandom(0));
        assertThat(flat[14 * 28 + 14]).isCloseTo(0.5f, org.assertj.core.data.Offset.offset(1e-5f));
        assertThat(flat[0]).isLessThan(0.5f); // black beyond the border bleeds in
    }

    @Test
    void occlusionBlacksOutExactlyATwelvePixelSquareInsideTheImage() {
        float[] img = new float[28 * 28];
        Arrays.fill(img, 1f);
        Corruption.OCCLUSION.apply(img, 0, 28, 28, new SplittableRandom(5));
        int black = 0;
        for (float v : img) {
            black += v == 0f ? 1 : 0;
        }
        assertThat(black).isEqualTo(144);
    }

    private static double mean(float[] a) {
        double s = 0;
        for (float v : a) {
            s += v;
        }
        return s / a.length;
    }

    private static double spread(float[] a) {
        double m = mean(a);
        double s = 0;
        for (float v : a) {
            s += (v - m) * (v - m);
        }
        return Math.sqrt(s / a.length);
    }
}
