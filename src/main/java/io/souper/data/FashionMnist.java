package io.souper.data;

import io.souper.errors.SouperException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Reads Fashion-MNIST (or MNIST) from its IDX files: {@code <split>-images-idx3-ubyte} and
 * {@code <split>-labels-idx1-ubyte}, each optionally gzipped ({@code .gz}), where split is
 * {@code train} (60,000 images) or {@code t10k} (10,000). Debian's dataset-fashion-mnist
 * installs them in {@link #DEBIAN_DIRECTORY}.
 *
 * <p>Pixels are normalised with {@link PixelNormalisation#FASHION_MNIST}:
 * {@code (x/255 - 0.2860) / 0.3530}, giving 1x28x28 float32 images.
 */
public final class FashionMnist {

    public static final Path DEBIAN_DIRECTORY = Path.of("/usr/share/datasets/fashion-mnist");
    public static final int CLASSES = 10;

    private FashionMnist() {
    }

    /** Images [from, to) of a split ("train" or "t10k"; "test" means "t10k"); to = -1 means the end. */
    public static LabeledImages load(Path directory, String split, int from, int to, PixelNormalisation normalisation) {
        String canonical = canonicalSplit(split);
        Path images = find(directory, canonical + "-images-idx3-ubyte");
        Path labels = find(directory, canonical + "-labels-idx1-ubyte");
        return read(images, labels, "fashion-mnist/" + canonical, from, to, normalisation);
    }

    /** The whole split, normalised for the demo's CNN. */
    public static LabeledImages load(Path directory, String split) {
        return load(directory, split, 0, -1, PixelNormalisation.FASHION_MNIST);
    }

    /** Reads an image file and a label file; the name of the result gets a [from:to] suffix when sliced. */
    public static LabeledImages read(Path imagesFile, Path labelsFile, String name, int from, int to,
                                     PixelNormalisation normalisation) {
        IdxFile images = IdxFile.read(imagesFile);
        IdxFile labels = IdxFile.read(labelsFile);
        if (images.dims().length != 3) {
            throw DatasetErrorCode.bad(imagesFile, "expected an IDX image file of shape [n, rows, cols], got "
                    + Arrays.toString(images.dims()));
        }
        if (labels.dims().length != 1) {
            throw DatasetErrorCode.bad(labelsFile, "expected an IDX label file of shape [n], got "
                    + Arrays.toString(labels.dims()));
        }
        int n = images.dims()[0];
        if (labels.dims()[0] != n) {
            throw DatasetErrorCode.bad(labelsFile, labels.dims()[0] + " labels for " + n + " images in " + imagesFile);
        }
        int end = to < 0 ? n : to;
        if (from < 0 || from > end || end > n) {
            throw new SouperException(DatasetErrorCode.BAD_URI, "range [" + from + ", " + to + ") is outside the "
                    + n + " images of " + imagesFile);
        }
        int rows = images.dims()[1];
        int cols = images.dims()[2];
        int count = end - from;
        float[] inputs = new float[Math.multiplyExact(count, rows * cols)];
        normalisation.apply(images.data(), from * rows * cols, count, 1, rows * cols, inputs, 0);
        int[] ys = new int[count];
        byte[] raw = labels.data();
        for (int i = 0; i < count; i++) {
            ys[i] = raw[from + i] & 0xff;
        }
        String sliced = from == 0 && end == n ? name : name + "[" + from + ":" + end + "]";
        return new LabeledImages(sliced, inputs, ys, 1, rows, cols);
    }

    static String canonicalSplit(String split) {
        String s = split == null ? "" : split.toLowerCase(Locale.ROOT);
        return switch (s) {
            case "train" -> "train";
            case "t10k", "test" -> "t10k";
            default -> throw new SouperException(DatasetErrorCode.BAD_URI,
                    "unknown IDX split '" + split + "' (expected train, t10k or test)");
        };
    }

    /** The plain file if present, else the gzipped one. */
    private static Path find(Path directory, String baseName) {
        Path plain = directory.resolve(baseName);
        if (Files.isRegularFile(plain)) {
            return plain;
        }
        Path gz = directory.resolve(baseName + ".gz");
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        throw new SouperException(DatasetErrorCode.FILE_NOT_FOUND, "neither " + plain + " nor " + gz + " exists");
    }
}
