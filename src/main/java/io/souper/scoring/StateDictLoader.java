package io.souper.scoring;

import io.souper.errors.SouperException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.souper.checkpoint.DType;
import io.souper.checkpoint.Tensor;
import io.souper.checkpoint.TensorSpec;
import io.souper.checkpoint.TensorConversions;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Copies a state dict into a {@link TorchScriptArchitecture}, by name, like PyTorch's
 * {@code load_state_dict(strict=True)}:
 * <ul>
 *   <li>every architecture key must be present and no other key (KEY_MISMATCH, naming them);</li>
 *   <li>shapes must be equal (SHAPE_MISMATCH, naming the tensor and both shapes);</li>
 *   <li>dtypes are converted to the architecture's, float to float or integer to integer only
 *       (DTYPE_MISMATCH otherwise);</li>
 *   <li>a NaN or infinity in a floating-point tensor, also one created by narrowing, is
 *       NON_FINITE_WEIGHTS.</li>
 * </ul>
 * Everything is checked before the first byte is copied, so a refused checkpoint leaves the
 * module's previous weights intact. The copy itself is an in-place {@code index_put_} into the
 * module's own tensors, which keep their storage (DJL's {@code NDArray.set(Buffer)} would
 * instead re-point them at a Java buffer).
 */
final class StateDictLoader {

    private static final int MAX_NAMES_IN_MESSAGE = 10;
    private static final NDIndex EVERYTHING = new NDIndex("...");

    private StateDictLoader() {
    }

    static void apply(TorchScriptArchitecture architecture, Map<String, Tensor> stateDict) {
        checkKeys(architecture, stateDict);
        boolean grad = JniUtils.isGradMode();
        // Grad mode is per thread in libtorch; in-place writes into parameters that require
        // grad are only allowed with it off.
        JniUtils.setGradMode(false);
        try (NDManager staging = architecture.manager().newSubManager()) {
            List<NDArray> converted = new ArrayList<>(stateDict.size());
            List<NDArray> targets = new ArrayList<>(stateDict.size());
            for (Map.Entry<String, NDArray> slot : architecture.slots().entrySet()) {
                ArchitectureTensor spec = architecture.stateDictTensors().get(slot.getKey());
                converted.add(stage(staging, spec, stateDict.get(slot.getKey())));
                targets.add(slot.getValue());
            }
            // Every check passed: from here on a failure (an engine error) leaves a mix of weights.
            architecture.weightsComplete(false);
            for (int i = 0; i < targets.size(); i++) {
                targets.get(i).set(EVERYTHING, converted.get(i));
            }
            architecture.weightsComplete(true);
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /**
     * Loads a state dict that arrives one tensor at a time (a checkpoint read from an object store
     * or from shards, an average computed on the fly), so only one tensor is staged at once,
     * never the whole checkpoint. Names, shapes and dtypes are all checked by {@link #begin}
     * before the first byte is copied; a tensor found non-finite while streaming leaves the
     * module marked incomplete (scoring then refuses it until a full load succeeds).
     */
    static final class Streaming {
        private final TorchScriptArchitecture architecture;
        private final Set<String> remaining;

        private Streaming(TorchScriptArchitecture architecture, Set<String> names) {
            this.architecture = architecture;
            this.remaining = new TreeSet<>(names);
        }

        /** Loads one tensor into its slot. */
        void tensor(Tensor tensor) {
            if (!remaining.remove(tensor.name())) {
                throw new IllegalStateException("tensor '" + tensor.name() + "' was not announced or came twice");
            }
            boolean grad = JniUtils.isGradMode();
            JniUtils.setGradMode(false);
            try (NDManager staging = architecture.manager().newSubManager()) {
                ArchitectureTensor spec = architecture.stateDictTensors().get(tensor.name());
                NDArray converted = stage(staging, spec, tensor);
                architecture.slots().get(tensor.name()).set(EVERYTHING, converted);
            } finally {
                JniUtils.setGradMode(grad);
            }
        }

        /** Every announced tensor arrived: the module holds exactly the new state dict. */
        void end() {
            if (!remaining.isEmpty()) {
                throw new IllegalStateException("state dict ended without " + names(new TreeSet<>(remaining)));
            }
            architecture.weightsComplete(true);
        }
    }

    /** Checks every announced tensor's name, shape and dtype, then starts a {@link Streaming} load. */
    static Streaming begin(TorchScriptArchitecture architecture, List<TensorSpec> specs) {
        Map<String, TensorSpec> byName = new LinkedHashMap<>();
        specs.forEach(s -> byName.put(s.name(), s));
        checkKeys(architecture, byName.keySet());
        for (TensorSpec spec : specs) {
            check(architecture.stateDictTensors().get(spec.name()), spec.dtype(), spec.shape());
        }
        architecture.weightsComplete(false);
        return new Streaming(architecture, byName.keySet());
    }

    private static void checkKeys(TorchScriptArchitecture architecture, Map<String, Tensor> stateDict) {
        checkKeys(architecture, stateDict.keySet());
    }

    private static void checkKeys(TorchScriptArchitecture architecture, Set<String> names) {
        Map<String, ArchitectureTensor> expected = architecture.stateDictTensors();
        TreeSet<String> missing = new TreeSet<>(expected.keySet());
        missing.removeAll(names);
        TreeSet<String> unexpected = new TreeSet<>(names);
        unexpected.removeAll(expected.keySet());
        if (missing.isEmpty() && unexpected.isEmpty()) {
            return;
        }
        StringBuilder msg = new StringBuilder("state dict does not match architecture ")
                .append(architecture.file().getFileName()).append(':');
        if (!missing.isEmpty()) {
            msg.append(" missing key(s) ").append(names(missing)).append(';');
        }
        if (!unexpected.isEmpty()) {
            msg.append(" unexpected key(s) ").append(names(unexpected)).append(';');
            if (!architecture.exportsBuffers()) {
                msg.append(" if these are buffers (e.g. BatchNorm running statistics), the architecture must "
                        + "export ").append(TorchScriptArchitecture.BUFFERS_METHOD)
                        .append("() (models/souper_export.py);");
            }
        }
        msg.setLength(msg.length() - 1);
        throw new SouperException(ScoringErrorCode.KEY_MISMATCH, msg.toString());
    }

    /** The checkpoint tensor as an array of the architecture's dtype, checked. */
    private static NDArray stage(NDManager staging, ArchitectureTensor spec, Tensor tensor) {
        check(spec, tensor.dtype(), tensor.shape());
        Tensor engineTensor = tensor.dtype().isHalfPrecision() ? TensorConversions.toFloat32(tensor) : tensor;
        NDArray array = staging.create(directBytes(engineTensor), new Shape(tensor.shape()),
                TorchTypes.toDjl(engineTensor.dtype()));
        if (engineTensor.dtype() != spec.dtype()) {
            array = array.toType(TorchTypes.toDjl(spec.dtype()), false);
        }
        // Checked after the conversion, so values that overflow the narrower dtype count too.
        if (spec.dtype().isFloatingPoint() && !allFinite(array)) {
            NDArray bad = array.isNaN().logicalOr(array.isInfinite());
            long count = bad.countNonzero().getLong();
            if (count > 0) {
                throw new SouperException(ScoringErrorCode.NON_FINITE_WEIGHTS, "tensor '" + spec.name() + "' holds "
                        + count + " NaN or infinite value(s)" + (tensor.dtype() != spec.dtype()
                        ? " (after conversion from " + tensor.dtype() + " to " + spec.dtype() + ")" : ""));
            }
        }
        return array;
    }

    /**
     * Whether every value is finite, by two reductions and no temporary array: libtorch's max and
     * min propagate NaN, and an infinity is the max or the min. isNaN/isInfinite/logicalOr make
     * three tensor-sized temporaries, which made the check ~95% of a weight swap (bench/scoring:
     * 2.3 s against 0.15 s per 100 MB checkpoint); they are now only used to count the bad values
     * for the error.
     */
    private static boolean allFinite(NDArray array) {
        if (array.size() == 0) {
            return true;
        }
        return Double.isFinite(array.max().toType(DataType.FLOAT64, false).getDouble())
                && Double.isFinite(array.min().toType(DataType.FLOAT64, false).getDouble());
    }

    /** SHAPE_MISMATCH or DTYPE_MISMATCH unless a checkpoint tensor of this dtype and shape fits the slot. */
    private static void check(ArchitectureTensor spec, DType dtype, long[] shape) {
        if (!Arrays.equals(shape, spec.shape())) {
            throw new SouperException(ScoringErrorCode.SHAPE_MISMATCH, "tensor '" + spec.name() + "' has shape "
                    + Arrays.toString(shape) + " in the checkpoint but " + Arrays.toString(spec.shape())
                    + " in the architecture");
        }
        if (!TorchTypes.convertible(dtype, spec.dtype())) {
            throw new SouperException(ScoringErrorCode.DTYPE_MISMATCH, "tensor '" + spec.name() + "' is "
                    + dtype + " in the checkpoint but " + spec.dtype() + " in the architecture; only "
                    + "float<->float and integer<->integer conversions keep the meaning of the values");
        }
        // DJL 0.36 aborts the JVM on any BFLOAT16 array: widen F16/BF16 to F32 in Java (exact).
        if (spec.dtype() == DType.BF16) {
            throw new SouperException(ScoringErrorCode.DTYPE_MISMATCH, "tensor '" + spec.name() + "' is BF16 in the "
                    + "architecture, which DJL 0.36 cannot write without aborting; export the architecture in F32");
        }
    }

    /**
     * DJL hands direct buffers to libtorch without copying (the array keeps the buffer alive);
     * anything else it would copy anyway, so copy once here.
     */
    private static ByteBuffer directBytes(Tensor tensor) {
        ByteBuffer data = tensor.data();
        if (data.isDirect()) {
            return data;
        }
        ByteBuffer copy = ByteBuffer.allocateDirect(data.remaining()).order(data.order());
        copy.put(data).flip();
        return copy;
    }

    private static String names(TreeSet<String> names) {
        if (names.size() <= MAX_NAMES_IN_MESSAGE) {
            return names.toString();
        }
        List<String> head = new ArrayList<>(names).subList(0, MAX_NAMES_IN_MESSAGE);
        return head + " and " + (names.size() - MAX_NAMES_IN_MESSAGE) + " more";
    }
}
