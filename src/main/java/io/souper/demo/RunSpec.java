package io.souper.demo;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One training run of the demo's training cluster: every knob that makes one fine-tune differ
 * from another. All of them go into the checkpoint's hyper-parameters, so a checkpoint always
 * says how it was made.
 *
 * @param runId          file-name-safe id, unique within the sweep ({@code [A-Za-z0-9._-]+})
 * @param seed           seeds the data order, the data subset, the augmentation noise
 * @param optimizer      SGD with momentum 0.9, or AdamW
 * @param learningRate   peak learning rate
 * @param schedule       constant, or cosine decay to zero over the run
 * @param epochs         passes over this run's data
 * @param batchSize      images per step
 * @param weightDecay    L2 (SGD) or decoupled (AdamW) weight decay
 * @param labelSmoothing epsilon of label smoothing, in [0, 1)
 * @param shiftPixels    random translation of each image by up to this many pixels, each axis
 * @param inputNoise     standard deviation of Gaussian noise added to the normalised inputs
 * @param trainable      which layers learn; the others stay as the start checkpoint has them
 * @param dataShard      this run trains on slice {@code dataShard} of {@code dataShards} equal,
 *                       disjoint slices of the fine-tune split (0 of 1 = all of it)
 * @param dataShards     number of slices
 * @param maxImages      at most this many images of the slice, a seeded random subset (0 = all)
 */
public record RunSpec(String runId, long seed, OptimizerKind optimizer, double learningRate, Schedule schedule,
                      int epochs, int batchSize, double weightDecay, double labelSmoothing, int shiftPixels,
                      double inputNoise, TrainableLayers trainable, int dataShard, int dataShards, int maxImages) {

    private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9._-]{1,100}");

    public enum OptimizerKind { SGD_MOMENTUM, ADAMW }

    public enum Schedule { CONSTANT, COSINE }

    /** Which parameters a run updates; frozen ones keep the start checkpoint's values exactly. */
    public enum TrainableLayers {
        ALL(),
        /** Everything but the first conv block (conv1, gn1). */
        ABOVE_CONV1("conv1.", "gn1."),
        /** Only the fully connected head (fc1, fc2). */
        HEAD("conv1.", "gn1.", "conv2.", "gn2.");

        private final String[] frozenPrefixes;

        TrainableLayers(String... frozenPrefixes) {
            this.frozenPrefixes = frozenPrefixes;
        }

        public boolean trains(String parameterName) {
            for (String p : frozenPrefixes) {
                if (parameterName.startsWith(p)) {
                    return false;
                }
            }
            return true;
        }
    }

    public RunSpec {
        if (runId == null || !RUN_ID.matcher(runId).matches()) {
            throw new IllegalArgumentException("run id must match " + RUN_ID + ", got '" + runId + "'");
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException(runId + ": learning rate must be positive and finite, got " + learningRate);
        }
        if (epochs < 1 || batchSize < 1) {
            throw new IllegalArgumentException(runId + ": epochs and batch size must be at least 1");
        }
        if (!(weightDecay >= 0) || !(labelSmoothing >= 0 && labelSmoothing < 1) || !(inputNoise >= 0)
                || shiftPixels < 0) {
            throw new IllegalArgumentException(runId + ": weight decay, input noise and shift must be >= 0 and "
                    + "label smoothing in [0, 1)");
        }
        if (dataShards < 1 || dataShard < 0 || dataShard >= dataShards || maxImages < 0) {
            throw new IllegalArgumentException(runId + ": data shard " + dataShard + " of " + dataShards
                    + " (max images " + maxImages + ") is not a valid selection");
        }
        if (optimizer == null || schedule == null || trainable == null) {
            throw new IllegalArgumentException(runId + ": optimizer, schedule and trainable layers are required");
        }
    }

    /** The hyper-parameters as the strings a CheckpointReady event and a manifest carry. */
    public Map<String, String> hyperParameters() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("run_id", runId);
        m.put("seed", Long.toString(seed));
        m.put("optimizer", optimizer.name().toLowerCase(Locale.ROOT));
        m.put("lr", number(learningRate));
        m.put("schedule", schedule.name().toLowerCase(Locale.ROOT));
        m.put("epochs", Integer.toString(epochs));
        m.put("batch_size", Integer.toString(batchSize));
        m.put("weight_decay", number(weightDecay));
        m.put("label_smoothing", number(labelSmoothing));
        m.put("shift_pixels", Integer.toString(shiftPixels));
        m.put("input_noise", number(inputNoise));
        m.put("trainable", trainable.name().toLowerCase(Locale.ROOT));
        m.put("data", dataShards == 1 ? "all" : "shard " + dataShard + "/" + dataShards);
        m.put("max_images", Integer.toString(maxImages));
        return m;
    }

    /** A copy with another id and seed (same recipe, another draw). */
    public RunSpec withIdAndSeed(String newId, long newSeed) {
        return new RunSpec(newId, newSeed, optimizer, learningRate, schedule, epochs, batchSize, weightDecay,
                labelSmoothing, shiftPixels, inputNoise, trainable, dataShard, dataShards, maxImages);
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
