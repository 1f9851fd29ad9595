package io.souper.scoring;

import io.souper.errors.SouperException;
import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.Pair;
import io.souper.checkpoint.DType;
import io.souper.checkpoint.SafetensorsReader;
import io.souper.checkpoint.Tensor;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A soup's architecture: one TorchScript file ({@code torch.jit.script(model).save(...)})
 * loaded once through DJL's PyTorch engine, whose weights are then overwritten in place for
 * every checkpoint ({@link #loadStateDict}), so scoring many checkpoints costs one model load.
 *
 * <p>Parameters come from DJL ({@code getParameters()}, writable because the model is loaded
 * with {@code trainParam=true}). DJL does not see buffers, so an architecture with buffers
 * must export {@code souper_buffers() -> Dict[str, Tensor]} returning them (aliases, which
 * models/souper_export.py adds); one that holds non-parameter tensors without that method is
 * refused ({@link ScoringErrorCode#UNREACHABLE_BUFFERS}) because its checkpoints would be
 * scored with the wrong statistics.
 *
 * <p>The module is always run in eval mode. Not thread-safe: one evaluator thread owns an
 * instance (the weights are mutable state).
 */
public final class TorchScriptArchitecture implements AutoCloseable {

    /** Name of the exported TorchScript method that returns the module's buffers by state-dict key. */
    public static final String BUFFERS_METHOD = "souper_buffers";

    private final Path file;
    private final Device device;
    private final Model model;
    private final PtSymbolBlock block;
    /** State-dict key -> the live tensor inside the module (parameters first, then buffers). */
    private final Map<String, NDArray> slots;
    private final Map<String, ArchitectureTensor> tensors;
    private final boolean exportsBuffers;
    private boolean weightsComplete = true;
    private boolean closed;

    private TorchScriptArchitecture(Path file, Device device, Model model, PtSymbolBlock block,
                                    Map<String, NDArray> slots, Map<String, ArchitectureTensor> tensors,
                                    boolean exportsBuffers) {
        this.file = file;
        this.device = device;
        this.model = model;
        this.block = block;
        this.slots = slots;
        this.tensors = tensors;
        this.exportsBuffers = exportsBuffers;
    }

    /** Loads the TorchScript file onto {@code device} (see {@link Devices#resolve}). */
    public static TorchScriptArchitecture load(Path file, Device device) {
        Path absolute = file.toAbsolutePath().normalize();
        int storages = TorchScriptArchive.countTensorStorages(absolute);
        TorchThreads.configureDefaults();
        Model model = Model.newInstance(absolute.getFileName().toString(), device, "PyTorch");
        try {
            // trainParam: otherwise DJL hands out read-only parameters; mapLocation: a file saved
            // from CPU tensors may be loaded onto a GPU and vice versa.
            model.load(absolute.getParent(), absolute.getFileName().toString(),
                    Map.of("trainParam", "true", "mapLocation", "true"));
            PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
            // A module saved in training mode would run BatchNorm on batch statistics and keep
            // dropout on; DJL only switches modes when asked for training, so force eval here.
            JniUtils.enableInferenceMode(block);
            Map<String, NDArray> slots = new LinkedHashMap<>();
            Map<String, ArchitectureTensor> tensors = new LinkedHashMap<>();
            for (Pair<String, Parameter> p : block.getParameters()) {
                addSlot(absolute, slots, tensors, p.getKey(), p.getValue().getArray(), false);
            }
            boolean exportsBuffers = Arrays.asList(JniUtils.getMethodNames(block)).contains(BUFFERS_METHOD);
            if (exportsBuffers) {
                for (Map.Entry<String, NDArray> b : buffers(block, (PtNDManager) model.getNDManager()).entrySet()) {
                    if (slots.containsKey(b.getKey())) {
                        throw new SouperException(ScoringErrorCode.BAD_ARCHITECTURE, absolute + ": " + BUFFERS_METHOD
                                + "() returns '" + b.getKey() + "', which is a parameter");
                    }
                    addSlot(absolute, slots, tensors, b.getKey(), b.getValue(), true);
                }
            } else if (storages > slots.size()) {
                throw new SouperException(ScoringErrorCode.UNREACHABLE_BUFFERS, absolute + " holds " + storages
                        + " tensors but only " + slots.size() + " parameters, and exports no " + BUFFERS_METHOD
                        + "() method: its buffers (e.g. BatchNorm running statistics) cannot be set from a "
                        + "checkpoint, so scores would be silently wrong. Export it with "
                        + "models/souper_export.py export_torchscript(model, path).");
            }
            return new TorchScriptArchitecture(absolute, device, model, block, slots,
                    Collections.unmodifiableMap(tensors), exportsBuffers);
        } catch (MalformedModelException | EngineException | ClassCastException e) {
            model.close();
            throw new SouperException(ScoringErrorCode.BAD_ARCHITECTURE, absolute + ": not a TorchScript module "
                    + "libtorch can load: " + e.getMessage(), e);
        } catch (NoSuchFileException e) {
            model.close();
            throw new SouperException(ScoringErrorCode.FILE_NOT_FOUND, absolute + ": no such file", e);
        } catch (IOException e) {
            model.close();
            throw new SouperException(ScoringErrorCode.IO_ERROR, absolute + ": " + e, e);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private static Map<String, NDArray> buffers(PtSymbolBlock block, PtNDManager manager) {
        Map<String, NDArray> out = new TreeMap<>();
        try (IValue result = IValueUtils.runMethod(block, BUFFERS_METHOD)) {
            if (!result.isMap()) {
                throw new SouperException(ScoringErrorCode.BAD_ARCHITECTURE, BUFFERS_METHOD
                        + "() must return Dict[str, Tensor], returned " + result.getType());
            }
            for (Map.Entry<String, IValue> e : result.toIValueMap().entrySet()) {
                try (IValue value = e.getValue()) {
                    if (!value.isTensor()) {
                        throw new SouperException(ScoringErrorCode.BAD_ARCHITECTURE, BUFFERS_METHOD + "()['"
                                + e.getKey() + "'] is " + value.getType() + ", not a Tensor");
                    }
                    // The tensor shares its storage with the module's buffer: writing into it
                    // updates the module.
                    PtNDArray alias = value.toTensor(manager);
                    out.put(e.getKey(), alias);
                }
            }
        }
        return out;
    }

    private static void addSlot(Path file, Map<String, NDArray> slots, Map<String, ArchitectureTensor> tensors,
                                String name, NDArray array, boolean buffer) {
        DataType type = array.getDataType();
        DType dtype = TorchTypes.fromDjl(type);
        if (dtype == null) {
            throw new SouperException(ScoringErrorCode.BAD_ARCHITECTURE, file + ": tensor '" + name + "' has dtype "
                    + type + ", which no safetensors checkpoint of Souper's can hold");
        }
        slots.put(name, array);
        tensors.put(name, new ArchitectureTensor(name, dtype, array.getShape().getShape(), buffer));
    }

    /** Copies a state dict into the module (see {@link StateDictLoader} for the rules). */
    public void loadStateDict(Map<String, Tensor> stateDict) {
        ensureOpen();
        StateDictLoader.apply(this, stateDict);
    }

    /**
     * Loads every tensor of an open safetensors file (memory-mapped, so no heap is spent);
     * the reader must stay open during the call.
     */
    public void loadStateDict(SafetensorsReader checkpoint) {
        if (!checkpoint.isLocalFile()) {
            loadStreaming(checkpoint);
            return;
        }
        Map<String, Tensor> stateDict = new LinkedHashMap<>();
        for (String name : checkpoint.names()) {
            stateDict.put(name, checkpoint.map(name));
        }
        loadStateDict(stateDict);
    }

    /**
     * Loads a checkpoint that is not a local file (an object, shards seen as one reader) tensor by
     * tensor: each is read into one direct buffer, loaded, and dropped, so memory holds the module
     * and one tensor, not the checkpoint.
     */
    private void loadStreaming(SafetensorsReader checkpoint) {
        StateDictSink sink = stateDictSink();
        sink.begin(checkpoint.tensors());
        for (io.souper.checkpoint.TensorSpec spec : checkpoint.tensors()) {
            if (spec.byteSize() > Integer.MAX_VALUE - 16) {
                throw new SouperException(ScoringErrorCode.SHAPE_MISMATCH, "tensor '" + spec.name() + "' is "
                        + spec.byteSize() + " bytes, more than one buffer can hold");
            }
            java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocateDirect((int) spec.byteSize())
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN);
            checkpoint.read(spec.name(), 0, bytes);
            sink.tensor(new Tensor(spec.name(), spec.dtype(), spec.shape(), bytes.flip()));
        }
        sink.end();
    }

    /**
     * A consumer that loads a state dict arriving tensor by tensor (e.g. an average streamed out of
     * {@link io.souper.checkpoint.RunningSum} through a {@link io.souper.checkpoint.SafetensorsStreamSink}),
     * with the checks of {@link StateDictLoader} made on the announced specs before any copy.
     */
    public StateDictSink stateDictSink() {
        ensureOpen();
        return new StateDictSink();
    }

    /** See {@link #stateDictSink()}. */
    public final class StateDictSink implements io.souper.checkpoint.SafetensorsStreamSink.Consumer {
        private StateDictLoader.Streaming load;

        @Override
        public void begin(java.util.List<io.souper.checkpoint.TensorSpec> tensors) {
            load = StateDictLoader.begin(TorchScriptArchitecture.this, tensors);
        }

        @Override
        public void tensor(Tensor tensor) {
            load.tensor(tensor);
        }

        @Override
        public void end() {
            load.end();
        }
    }

    /** Every key a checkpoint must hold, in module order (parameters, then buffers by name). */
    public Map<String, ArchitectureTensor> stateDictTensors() {
        return tensors;
    }

    /** Whether the file exports {@value #BUFFERS_METHOD}() (so checkpoints may carry buffers). */
    public boolean exportsBuffers() {
        return exportsBuffers;
    }

    public Path file() {
        return file;
    }

    /** False after a load that failed half-way: the module then holds a mix of two checkpoints. */
    public boolean weightsComplete() {
        return weightsComplete;
    }

    /** Set by the loader around the copy (after every check passed). */
    void weightsComplete(boolean complete) {
        this.weightsComplete = complete;
    }

    Map<String, NDArray> slots() {
        return slots;
    }

    PtSymbolBlock block() {
        ensureOpen();
        return block;
    }

    NDManager manager() {
        ensureOpen();
        return model.getNDManager();
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("architecture " + file + " is closed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            model.close();
        }
    }

    @Override
    public String toString() {
        return "TorchScriptArchitecture[" + file + " on " + Devices.describe(device) + ", " + tensors.size()
                + " tensors]";
    }
}
