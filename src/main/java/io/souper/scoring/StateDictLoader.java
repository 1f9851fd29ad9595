package io.souper.scoring;

import io.souper.errors.SouperException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.souper.checkpoint.Tensor;
import io.souper.checkpoint.TensorConversions;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    private static void checkKeys(TorchScriptArchitecture architecture, Map<String, Tensor> stateDict) {
        Map<String, ArchitectureTensor> expected = architecture.stateDictTensors();
        TreeSet<String> missing = new TreeSet<>(expected.keySet());
        missing.removeAll(stateDict.keySet());
        TreeSet<String> unexpected = new TreeSet<>(stateDict.keySet());
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
        if (!Arrays.equals(tensor.shape(), spec.shape())) {
            throw new SouperException(ScoringErrorCode.SHAPE_MISMATCH, "tensor '" + spec.name() + "' has shape "
                    + Arrays.toString(tensor.shape()) + " in the checkpoint but " + Arrays.toString(spec.shape())
                    + " in the architecture");
        }
        if (!TorchTypes.convertible(tensor.dtype(), spec.dtype())) {
            throw new SouperException(ScoringErrorCode.DTYPE_MISMATCH, "tensor '" + spec.name() + "' is "
                    + tensor.dtype() + " in the checkpoint but " + spec.dtype() + " in the architecture; only "
                    + "float<->float and integer<->integer conversions keep the meaning of the values");
        }
        // DJL 0.36 aborts the JVM on any BFLOAT16 array: widen F16/BF16 to F32 in Java (exact).
        if (spec.dtype() == io.souper.checkpoint.DType.BF16) {
            throw new SouperException(ScoringErrorCode.DTYPE_MISMATCH, "tensor '" + spec.name() + "' is BF16 in the "
                    + "architecture, which DJL 0.36 cannot write without aborting; export the architecture in F32");
        }
        Tensor engineTensor = tensor.dtype().isHalfPrecision() ? TensorConversions.toFloat32(tensor) : tensor;
        NDArray array = staging.create(directBytes(engineTensor), new Shape(tensor.shape()),
                TorchTypes.toDjl(engineTensor.dtype()));
        if (engineTensor.dtype() != spec.dtype()) {
            array = array.toType(TorchTypes.toDjl(spec.dtype()), false);
        }
        if (spec.dtype().isFloatingPoint()) {
            // Checked after the conversion, so values that overflow the narrower dtype count too.
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
