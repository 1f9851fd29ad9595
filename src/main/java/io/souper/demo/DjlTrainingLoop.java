package io.souper.demo;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import io.souper.checkpoint.DType;
import io.souper.checkpoint.Tensor;
import io.souper.data.LabeledImages;
import io.souper.scoring.TorchThreads;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trains a TorchScript module with DJL: load it with {@code trainParam=true} (otherwise its
 * parameters are read-only), copy the start weights in, freeze what the spec freezes, then
 * run a DJL {@link Trainer} (SGD with momentum or AdamW, constant or cosine learning rate)
 * on label-smoothed cross-entropy with the spec's augmentation, and read the weights out as
 * a state dict. One call = one fresh model and optimizer, so runs share nothing.
 */
final class DjlTrainingLoop {

    static final int CLASSES = 10;
    private static final int LOSS_WINDOW = 20;
    private static final NDIndex EVERYTHING = new NDIndex("...");

    /** The trained state dict (F32, module order) and how the training went. */
    record Outcome(List<Tensor> stateDict, double finalLoss, long imagesSeen, double seconds) {
    }

    private DjlTrainingLoop() {
    }

    /**
     * @param start      start weights by state-dict key, or null to keep the TorchScript file's own
     * @param background the normalised value of a black pixel (what translation shifts in)
     */
    static Outcome train(Path architecture, Map<String, Tensor> start, LabeledImages data, RunSpec spec,
                         float background) {
        TorchThreads.configureDefaults();
        Path file = architecture.toAbsolutePath().normalize();
        long began = System.nanoTime();
        try (Model model = Model.newInstance("train-" + spec.runId(), Device.cpu(), "PyTorch")) {
            model.load(file.getParent(), file.getFileName().toString(), Map.of("trainParam", "true"));
            PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
            List<Pair<String, Parameter>> parameters = block.getParameters().stream().toList();
            if (start != null) {
                copyIn(parameters, start, file);
            }
            if (parameters.stream().noneMatch(p -> spec.trainable().trains(p.getKey()))) {
                throw new IllegalArgumentException(spec.runId() + ": " + spec.trainable()
                        + " leaves no parameter of " + file.getFileName() + " to train");
            }
            int[] images = selection(data, spec);
            int stepsPerEpoch = (images.length + spec.batchSize() - 1) / spec.batchSize();
            int totalSteps = stepsPerEpoch * spec.epochs();
            DefaultTrainingConfig config = new DefaultTrainingConfig(
                    new LabelSmoothedCrossEntropy(CLASSES, spec.labelSmoothing()))
                    .optOptimizer(optimizer(spec, totalSteps))
                    .optDevices(new Device[] {Device.cpu()});
            Deque<Float> recent = new ArrayDeque<>();
            SplittableRandom random = new SplittableRandom(spec.seed());
            try (Trainer trainer = model.newTrainer(config)) {
                // Freeze only now: DJL's PtModel.newTrainer unfreezes every parameter of a loaded
                // model, so a freeze applied before it would be silently undone (measured: the
                // "frozen" conv1 moved). A frozen parameter gets no gradient and the trainer's
                // parameter store never registers it, so the optimizer never touches it.
                for (Pair<String, Parameter> p : parameters) {
                    p.getValue().freeze(!spec.trainable().trains(p.getKey()));
                }
                int per = data.imageSize();
                float[] batch = new float[spec.batchSize() * per];
                long[] labels = new long[spec.batchSize()];
                for (int epoch = 0; epoch < spec.epochs(); epoch++) {
                    int[] order = shuffled(images, random);
                    for (int from = 0; from < order.length; from += spec.batchSize()) {
                        int n = Math.min(spec.batchSize(), order.length - from);
                        for (int i = 0; i < n; i++) {
                            int image = order[from + i];
                            Augmentation.apply(data.inputs(), image * per, batch, i * per, data.height(),
                                    data.width(), data.channels(), spec.shiftPixels(), spec.inputNoise(),
                                    background, random);
                            labels[i] = data.labels()[image];
                        }
                        float loss = step(trainer, batch, labels, n, data);
                        if (!Float.isFinite(loss)) {
                            throw new IllegalStateException(spec.runId() + ": training diverged (loss " + loss
                                    + " at epoch " + epoch + "); lower the learning rate (" + spec.learningRate() + ")");
                        }
                        recent.addLast(loss);
                        if (recent.size() > LOSS_WINDOW) {
                            recent.removeFirst();
                        }
                    }
                }
            }
            List<Tensor> out = copyOut(parameters);
            double seconds = (System.nanoTime() - began) / 1e9;
            double finalLoss = recent.stream().mapToDouble(Float::doubleValue).average().orElse(Double.NaN);
            return new Outcome(out, finalLoss, (long) images.length * spec.epochs(), seconds);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load " + file, e);
        } catch (MalformedModelException e) {
            throw new IllegalArgumentException(file + " is not a TorchScript module DJL can load: " + e.getMessage(), e);
        }
    }

    private static float step(Trainer trainer, float[] batch, long[] labels, int n, LabeledImages data) {
        try (NDManager scope = trainer.getManager().newSubManager()) {
            NDArray x = scope.create(FloatBuffer.wrap(batch, 0, n * data.imageSize()),
                    new Shape(n, data.channels(), data.height(), data.width()));
            NDArray y = scope.create(Arrays.copyOf(labels, n));
            float loss;
            // What DJL's PtGradientCollector does, without its process-wide "one collector at a
            // time" flag (a leftover of engines whose autograd recording is global): libtorch's
            // grad mode is per thread, so runs on other threads train at the same time.
            boolean grad = JniUtils.isGradMode();
            JniUtils.setGradMode(true);
            try {
                NDList predictions = trainer.forward(new NDList(x));
                NDArray value = trainer.getLoss().evaluate(new NDList(y), predictions);
                JniUtils.backward((PtNDArray) value, (PtNDArray) value.onesLike(), false, false);
                loss = value.getFloat();
            } finally {
                JniUtils.setGradMode(grad);
            }
            trainer.step();
            return loss;
        }
    }

    private static Optimizer optimizer(RunSpec spec, int totalSteps) {
        float lr = (float) spec.learningRate();
        Tracker tracker = spec.schedule() == RunSpec.Schedule.COSINE
                ? Tracker.cosine().setBaseValue(lr).optFinalValue(0f).setMaxUpdates(totalSteps).build()
                : Tracker.fixed(lr);
        float wd = (float) spec.weightDecay();
        return switch (spec.optimizer()) {
            case SGD_MOMENTUM -> Optimizer.sgd().setLearningRateTracker(tracker).optMomentum(0.9f)
                    .optWeightDecays(wd).build();
            case ADAMW -> Optimizer.adamW().optLearningRateTracker(tracker).optWeightDecays(wd).build();
        };
    }

    /** The indices of the images this run trains on: its shard, then a seeded subset. */
    static int[] selection(LabeledImages data, RunSpec spec) {
        int per = data.size() / spec.dataShards();
        if (per == 0) {
            throw new IllegalArgumentException(spec.runId() + ": " + data.size() + " images cannot be cut into "
                    + spec.dataShards() + " shards");
        }
        int from = spec.dataShard() * per;
        int[] shard = new int[per];
        for (int i = 0; i < per; i++) {
            shard[i] = from + i;
        }
        if (spec.maxImages() == 0 || spec.maxImages() >= per) {
            return shard;
        }
        int[] mixed = shuffled(shard, new SplittableRandom(spec.seed() ^ 0x5DEECE66DL));
        return Arrays.copyOf(mixed, spec.maxImages());
    }

    private static int[] shuffled(int[] items, SplittableRandom random) {
        int[] out = items.clone();
        for (int i = out.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = out[i];
            out[i] = out[j];
            out[j] = t;
        }
        return out;
    }

    /** Copies the start weights into the module's own tensors (in place, so the module sees them). */
    private static void copyIn(List<Pair<String, Parameter>> parameters, Map<String, Tensor> start, Path file) {
        List<String> names = parameters.stream().map(Pair::getKey).toList();
        if (!start.keySet().equals(new java.util.HashSet<>(names))) {
            throw new IllegalArgumentException("start checkpoint keys " + new java.util.TreeSet<>(start.keySet())
                    + " do not match the parameters of " + file.getFileName() + " " + new java.util.TreeSet<>(names));
        }
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false); // in-place writes into leaf tensors that require grad need it off
        try {
            for (Pair<String, Parameter> p : parameters) {
                NDArray target = p.getValue().getArray();
                Tensor t = start.get(p.getKey());
                if (!Arrays.equals(t.shape(), target.getShape().getShape())) {
                    throw new IllegalArgumentException("start tensor '" + p.getKey() + "' has shape "
                            + Arrays.toString(t.shape()) + ", the module's has " + target.getShape());
                }
                if (t.dtype() != DType.F32 || target.getDataType() != DataType.FLOAT32) {
                    throw new IllegalArgumentException("start tensor '" + p.getKey() + "' must be F32 like the module's");
                }
                float[] values = new float[(int) t.elementCount()];
                t.data().asFloatBuffer().get(values);
                try (NDManager scope = target.getManager().newSubManager()) {
                    target.set(EVERYTHING, scope.create(values, target.getShape()));
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    private static List<Tensor> copyOut(List<Pair<String, Parameter>> parameters) {
        List<Tensor> out = new ArrayList<>(parameters.size());
        for (Pair<String, Parameter> p : parameters) {
            NDArray array = p.getValue().getArray();
            float[] values = array.toFloatArray();
            ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asFloatBuffer().put(values);
            out.add(new Tensor(p.getKey(), DType.F32, array.getShape().getShape(), bytes));
        }
        return out;
    }
}
