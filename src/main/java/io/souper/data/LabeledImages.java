package io.souper.data;

import java.util.Arrays;

/**
 * A classification data split held in memory: images as float32 in NCHW order
 * (already normalised as the model expects) and integer labels.
 */
public record LabeledImages(String name, float[] inputs, int[] labels, int channels, int height, int width) {

    public LabeledImages {
        long per = (long) channels * height * width;
        if (per <= 0 || inputs.length != per * labels.length) {
            throw new IllegalArgumentException("split '" + name + "': " + inputs.length + " input values do not make "
                    + labels.length + " images of " + channels + "x" + height + "x" + width);
        }
    }

    public int size() {
        return labels.length;
    }

    public int imageSize() {
        return channels * height * width;
    }

    /** Images [from, to) as a new split, sharing nothing with this one. */
    public LabeledImages slice(String sliceName, int from, int to) {
        int per = imageSize();
        return new LabeledImages(sliceName, Arrays.copyOfRange(inputs, from * per, to * per),
                Arrays.copyOfRange(labels, from, to), channels, height, width);
    }
}
