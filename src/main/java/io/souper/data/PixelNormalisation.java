package io.souper.data;

import java.util.Arrays;

/**
 * How raw 8-bit pixels become model inputs: {@code (pixel / 255 - mean[c]) / std[c]} for
 * channel {@code c}. A single mean/std applies to every channel. The Python side
 * (models/make_cnn.py, the test's reference script, the demo's trainer) uses the same
 * formula and constants, so the evaluator sees exactly what training saw.
 */
public record PixelNormalisation(float[] mean, float[] std) {

    /** Mean and standard deviation of the Fashion-MNIST training pixels scaled to [0, 1]. */
    public static final PixelNormalisation FASHION_MNIST = of(0.2860f, 0.3530f);

    public PixelNormalisation {
        mean = mean.clone();
        std = std.clone();
        if (mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException("normalisation needs as many means as standard deviations, got "
                    + Arrays.toString(mean) + " and " + Arrays.toString(std));
        }
        for (int c = 0; c < mean.length; c++) {
            if (!Float.isFinite(mean[c]) || !Float.isFinite(std[c]) || std[c] <= 0) {
                throw new IllegalArgumentException("normalisation channel " + c + ": mean " + mean[c] + ", std " + std[c]
                        + " (std must be finite and positive)");
            }
        }
    }

    public static PixelNormalisation of(float mean, float std) {
        return new PixelNormalisation(new float[] {mean}, new float[] {std});
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    /**
     * Normalises {@code count} images of {@code channels x pixelsPerChannel} unsigned bytes (NCHW)
     * starting at {@code pixels[from]} into {@code out[outFrom...]}.
     */
    void apply(byte[] pixels, int from, int count, int channels, int pixelsPerChannel, float[] out, int outFrom) {
        if (mean.length != 1 && mean.length != channels) {
            throw new IllegalArgumentException("normalisation has " + mean.length + " channels, images have " + channels);
        }
        float[][] table = new float[channels][256];
        for (int c = 0; c < channels; c++) {
            float m = mean[mean.length == 1 ? 0 : c];
            float s = std[std.length == 1 ? 0 : c];
            for (int v = 0; v < 256; v++) {
                // Same float32 operation order as the Python side: (x / 255 - mean) / std.
                table[c][v] = (v / 255f - m) / s;
            }
        }
        int o = outFrom;
        int p = from;
        for (int i = 0; i < count; i++) {
            for (int c = 0; c < channels; c++) {
                float[] t = table[c];
                for (int k = 0; k < pixelsPerChannel; k++) {
                    out[o++] = t[pixels[p++] & 0xff];
                }
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PixelNormalisation n && Arrays.equals(mean, n.mean) && Arrays.equals(std, n.std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "(x/255 - " + Arrays.toString(mean) + ") / " + Arrays.toString(std);
    }
}
