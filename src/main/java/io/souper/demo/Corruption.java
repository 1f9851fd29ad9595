package io.souper.demo;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The demo's distribution shifts: deterministic corruptions of test images, in the spirit of
 * the paper's ImageNet variants (the soup is chosen on clean held-out data and then judged on
 * data it never saw the like of). Each works on one grey image in pixel space, values in
 * [0, 1], in place; randomness comes only from the generator it is handed, so a seed fixes
 * the corrupted set bit for bit.
 *
 * <p>The severities were chosen so the pre-trained CNN keeps roughly 45-75% accuracy on each
 * (bench/demo-regime/README.md): hard enough that models differ, not so hard that all fail.
 */
public enum Corruption {

    /** Additive Gaussian noise, standard deviation 0.35 of the pixel range, clipped. */
    GAUSSIAN_NOISE("noise") {
        @Override
        void apply(float[] image, int offset, int height, int width, SplittableRandom random) {
            for (int i = offset; i < offset + height * width; i++) {
                image[i] = clip(image[i] + (float) (gaussian(random) * NOISE_STD));
            }
        }
    },

    /** Rotation about the centre by 15-30 degrees either way, bilinear, black outside. */
    ROTATION("rotate") {
        @Override
        void apply(float[] image, int offset, int height, int width, SplittableRandom random) {
            double degrees = ROTATION_MIN_DEGREES + random.nextDouble() * (ROTATION_MAX_DEGREES - ROTATION_MIN_DEGREES);
            double angle = Math.toRadians(random.nextBoolean() ? degrees : -degrees);
            rotate(image, offset, height, width, angle);
        }
    },

    /** Gaussian blur, sigma 1.5 pixels, 7x7 kernel, black beyond the border. */
    BLUR("blur") {
        @Override
        void apply(float[] image, int offset, int height, int width, SplittableRandom random) {
            blur(image, offset, height, width);
        }
    },

    /** Contrast cut to a quarter around the image's own mean brightness. */
    CONTRAST("contrast") {
        @Override
        void apply(float[] image, int offset, int height, int width, SplittableRandom random) {
            int n = height * width;
            double sum = 0;
            for (int i = offset; i < offset + n; i++) {
                sum += image[i];
            }
            float mean = (float) (sum / n);
            for (int i = offset; i < offset + n; i++) {
                image[i] = mean + (image[i] - mean) * CONTRAST_FACTOR;
            }
        }
    },

    /** A black 12x12 square whose top-left corner lies in [4, 14) on both axes. */
    OCCLUSION("occlude") {
        @Override
        void apply(float[] image, int offset, int height, int width, SplittableRandom random) {
            int size = Math.min(OCCLUSION_SIZE, Math.min(height, width));
            int rowSpan = Math.max(1, Math.min(OCCLUSION_MAX_CORNER, height - size + 1) - OCCLUSION_MIN_CORNER);
            int colSpan = Math.max(1, Math.min(OCCLUSION_MAX_CORNER, width - size + 1) - OCCLUSION_MIN_CORNER);
            int top = Math.min(height - size, OCCLUSION_MIN_CORNER + random.nextInt(rowSpan));
            int left = Math.min(width - size, OCCLUSION_MIN_CORNER + random.nextInt(colSpan));
            for (int r = top; r < top + size; r++) {
                for (int c = left; c < left + size; c++) {
                    image[offset + r * width + c] = 0f;
                }
            }
        }
    };

    static final double NOISE_STD = 0.35;
    static final double ROTATION_MIN_DEGREES = 15;
    static final double ROTATION_MAX_DEGREES = 30;
    static final double BLUR_SIGMA = 1.5;
    static final int BLUR_RADIUS = 3;
    static final float CONTRAST_FACTOR = 0.25f;
    static final int OCCLUSION_SIZE = 12;
    static final int OCCLUSION_MIN_CORNER = 4;
    static final int OCCLUSION_MAX_CORNER = 14;

    private final String shortName;

    Corruption(String shortName) {
        this.shortName = shortName;
    }

    /** The name used in split names and reports: noise, rotate, blur, contrast, occlude. */
    public String shortName() {
        return shortName;
    }

    /** Corrupts {@code height x width} pixels starting at {@code image[offset]}, in place. */
    abstract void apply(float[] image, int offset, int height, int width, SplittableRandom random);

    public static Corruption fromShortName(String name) {
        for (Corruption c : values()) {
            if (c.shortName.equals(name) || c.name().equals(name.toUpperCase(Locale.ROOT))) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown corruption '" + name + "' (expected noise, rotate, blur, "
                + "contrast or occlude)");
    }

    private static float clip(float v) {
        return v < 0f ? 0f : Math.min(v, 1f);
    }

    /** Box-Muller on the generator's doubles: our own formula, so the noise never depends on a JDK's nextGaussian(). */
    private static double gaussian(SplittableRandom random) {
        double u1 = 1.0 - random.nextDouble(); // (0, 1]: log is finite
        double u2 = random.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    private static void rotate(float[] image, int offset, int height, int width, double angle) {
        float[] source = new float[height * width];
        System.arraycopy(image, offset, source, 0, source.length);
        double cy = (height - 1) / 2.0;
        double cx = (width - 1) / 2.0;
        double cos = Math.cos(angle);
        double sin = Math.sin(angle);
        for (int r = 0; r < height; r++) {
            for (int c = 0; c < width; c++) {
                // Inverse mapping: where in the source does this output pixel come from?
                double dy = r - cy;
                double dx = c - cx;
                double sy = cy + cos * dy - sin * dx;
                double sx = cx + sin * dy + cos * dx;
                image[offset + r * width + c] = (float) bilinear(source, height, width, sy, sx);
            }
        }
    }

    private static double bilinear(float[] source, int height, int width, double y, double x) {
        int y0 = (int) Math.floor(y);
        int x0 = (int) Math.floor(x);
        double fy = y - y0;
        double fx = x - x0;
        return (1 - fy) * ((1 - fx) * pixel(source, height, width, y0, x0) + fx * pixel(source, height, width, y0, x0 + 1))
                + fy * ((1 - fx) * pixel(source, height, width, y0 + 1, x0) + fx * pixel(source, height, width, y0 + 1, x0 + 1));
    }

    private static float pixel(float[] source, int height, int width, int r, int c) {
        return r < 0 || c < 0 || r >= height || c >= width ? 0f : source[r * width + c];
    }

    private static void blur(float[] image, int offset, int height, int width) {
        double[] kernel = new double[2 * BLUR_RADIUS + 1];
        double total = 0;
        for (int k = -BLUR_RADIUS; k <= BLUR_RADIUS; k++) {
            kernel[k + BLUR_RADIUS] = Math.exp(-k * k / (2 * BLUR_SIGMA * BLUR_SIGMA));
            total += kernel[k + BLUR_RADIUS];
        }
        for (int k = 0; k < kernel.length; k++) {
            kernel[k] /= total;
        }
        // Separable: rows then columns; pixels beyond the border count as black, as in a
        // zero-padded convolution.
        double[] rows = new double[height * width];
        for (int r = 0; r < height; r++) {
            for (int c = 0; c < width; c++) {
                double acc = 0;
                for (int k = -BLUR_RADIUS; k <= BLUR_RADIUS; k++) {
                    int cc = c + k;
                    if (cc >= 0 && cc < width) {
                        acc += kernel[k + BLUR_RADIUS] * image[offset + r * width + cc];
                    }
                }
                rows[r * width + c] = acc;
            }
        }
        for (int r = 0; r < height; r++) {
            for (int c = 0; c < width; c++) {
                double acc = 0;
                for (int k = -BLUR_RADIUS; k <= BLUR_RADIUS; k++) {
                    int rr = r + k;
                    if (rr >= 0 && rr < height) {
                        acc += kernel[k + BLUR_RADIUS] * rows[rr * width + c];
                    }
                }
                image[offset + r * width + c] = (float) acc;
            }
        }
    }
}
