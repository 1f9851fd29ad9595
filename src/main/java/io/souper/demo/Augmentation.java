package io.souper.demo;

import java.util.SplittableRandom;

/**
 * Training-time augmentation of normalised images: a random translation by up to
 * {@code shift} pixels on each axis (what moves in is black) and additive Gaussian noise.
 * Fine-tunes that differ in augmentation end in different places of one basin, which is what
 * a soup averages over.
 */
final class Augmentation {

    private Augmentation() {
    }

    /** Writes the augmented copy of the image at {@code source[from]} into {@code target[to]}. */
    static void apply(float[] source, int from, float[] target, int to, int height, int width, int channels,
                      int shift, double noise, float background, SplittableRandom random) {
        int dy = shift == 0 ? 0 : random.nextInt(2 * shift + 1) - shift;
        int dx = shift == 0 ? 0 : random.nextInt(2 * shift + 1) - shift;
        int plane = height * width;
        for (int c = 0; c < channels; c++) {
            for (int r = 0; r < height; r++) {
                int sr = r + dy;
                for (int col = 0; col < width; col++) {
                    int sc = col + dx;
                    float v = sr < 0 || sc < 0 || sr >= height || sc >= width ? background
                            : source[from + c * plane + sr * width + sc];
                    target[to + c * plane + r * width + col] = v;
                }
            }
        }
        if (noise > 0) {
            for (int i = to; i < to + channels * plane; i++) {
                target[i] += (float) (noise * gaussian(random));
            }
        }
    }

    private static double gaussian(SplittableRandom random) {
        double u1 = 1.0 - random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }
}
