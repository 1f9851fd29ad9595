package io.souper.data;

import io.souper.checkpoint.DType;
import io.souper.checkpoint.SafetensorsReader;
import io.souper.checkpoint.TensorSpec;
import io.souper.errors.SouperException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Splits of any task as safetensors files (see docs/data.md): the input tensors a soup's
 * {@link InputSpec} names, each [n, ...] of any dtype (token ids I64, attention masks, float
 * features), and integer targets [n, ...] in tensor {@code targets} (or {@code labels}), I64, I32
 * or U8. A directory is read as shards, sorted by name and concatenated along the first dimension
 * (same names, dtypes and per-example shapes required).
 */
public final class TensorFiles {

    public static final String TARGETS = "targets";

    private TensorFiles() {
    }

    public static TensorSplit read(Path fileOrDirectory, InputSpec spec) {
        List<Path> shards = DatasetFiles.shards(fileOrDirectory);
        List<TensorSplit> parts = new ArrayList<>(shards.size());
        for (Path shard : shards) {
            parts.add(readShard(shard, spec));
        }
        String name = fileOrDirectory.getFileName() == null ? fileOrDirectory.toString()
                : fileOrDirectory.getFileName().toString();
        if (name.endsWith(DatasetFiles.EXTENSION)) {
            name = name.substring(0, name.length() - DatasetFiles.EXTENSION.length());
        }
        return concatenate(name, parts);
    }

    private static TensorSplit readShard(Path file, InputSpec spec) {
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            List<InputTensor> inputs = new ArrayList<>();
            for (String name : spec.forwardInputs()) {
                if (!reader.contains(name)) {
                    throw DatasetErrorCode.bad(file, "the soup's input '" + name + "' is not in the file, which holds "
                            + reader.names());
                }
                inputs.add(input(file, reader, reader.spec(name)));
            }
            String targetName = reader.contains(TARGETS) ? TARGETS : DatasetFiles.LABELS;
            if (!reader.contains(targetName)) {
                throw DatasetErrorCode.bad(file, "a dataset file needs a tensor '" + TARGETS + "' (or '"
                        + DatasetFiles.LABELS + "'), found " + reader.names());
            }
            TensorSpec t = reader.spec(targetName);
            if (t.shape().length < 1) {
                throw DatasetErrorCode.bad(file, "targets must be [n, ...], got " + t);
            }
            int[] targets = targets(file, reader, t, spec);
            String name = file.getFileName().toString();
            try {
                return new TensorSplit(name.substring(0, name.length() - DatasetFiles.EXTENSION.length()), inputs,
                        t.shape(), targets, spec.ignoreIndex());
            } catch (IllegalArgumentException e) {
                throw DatasetErrorCode.bad(file, e.getMessage());
            }
        } catch (SouperException e) {
            throw DatasetFiles.translate(file, e);
        }
    }

    private static InputTensor input(Path file, SafetensorsReader reader, TensorSpec spec) {
        if (spec.shape().length < 1) {
            throw DatasetErrorCode.bad(file, "input " + spec + " needs a first (example) dimension");
        }
        if (spec.byteSize() > Integer.MAX_VALUE - 16) {
            throw DatasetErrorCode.bad(file, "input " + spec + " of " + spec.byteSize()
                    + " bytes: split it into shards");
        }
        byte[] data = new byte[(int) spec.byteSize()];
        ByteBuffer raw = reader.map(spec.name(), 0, data.length);
        raw.get(data);
        if (spec.dtype() == DType.F32 || spec.dtype() == DType.F64) {
            ByteBuffer values = ByteBuffer.wrap(data).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            int step = spec.dtype().byteSize();
            for (int at = 0; at < data.length; at += step) {
                double v = step == 4 ? values.getFloat(at) : values.getDouble(at);
                if (!Double.isFinite(v)) {
                    throw DatasetErrorCode.bad(file, "input '" + spec.name() + "' holds " + v + " at flat index "
                            + at / step);
                }
            }
        }
        return new InputTensor(spec.name(), spec.dtype(), spec.shape(), data);
    }

    private static int[] targets(Path file, SafetensorsReader reader, TensorSpec spec, InputSpec inputSpec) {
        if (spec.elementCount() > Integer.MAX_VALUE - 16) {
            throw DatasetErrorCode.bad(file, "targets " + spec + " are too many: split the file into shards");
        }
        int count = (int) spec.elementCount();
        ByteBuffer raw = reader.map(spec.name(), 0, (int) spec.byteSize());
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            long y = switch (spec.dtype()) {
                case I64 -> raw.getLong(i * 8);
                case I32 -> raw.getInt(i * 4);
                case U8 -> raw.get(i) & 0xff;
                default -> throw DatasetErrorCode.bad(file, "targets must be I64, I32 or U8, got " + spec.dtype());
            };
            if (inputSpec.ignored(y)) {
                out[i] = (int) (long) inputSpec.ignoreIndex(); // checked to fit below
                if (out[i] != y) {
                    throw DatasetErrorCode.bad(file, "ignore index " + y + " does not fit 32 bits");
                }
            } else if (y < 0 || y > Integer.MAX_VALUE) {
                throw DatasetErrorCode.bad(file, "target " + y + " at flat index " + i + " is not a class index"
                        + (inputSpec.ignoreIndex() == null ? " (the soup has no ignore index)"
                        : " nor the ignore index " + inputSpec.ignoreIndex()));
            } else {
                out[i] = (int) y;
            }
        }
        return out;
    }

    private static TensorSplit concatenate(String name, List<TensorSplit> parts) {
        TensorSplit first = parts.get(0);
        if (parts.size() == 1) {
            return new TensorSplit(name, first.inputs(), first.targetShape(), first.targets(), first.ignoreIndex());
        }
        long n = 0;
        for (TensorSplit p : parts) {
            for (int k = 0; k < first.inputs().size(); k++) {
                InputTensor a = first.inputs().get(k);
                InputTensor b = p.inputs().get(k);
                if (a.dtype() != b.dtype() || !Arrays.equals(a.rowShape(), b.rowShape())) {
                    throw new SouperException(DatasetErrorCode.BAD_DATASET, "shard " + p.name() + " has input " + b
                            + ", shard " + first.name() + " " + a);
                }
            }
            long[] ts = p.targetShape();
            long[] fs = first.targetShape();
            if (!Arrays.equals(Arrays.copyOfRange(ts, 1, ts.length), Arrays.copyOfRange(fs, 1, fs.length))) {
                throw new SouperException(DatasetErrorCode.BAD_DATASET, "shard " + p.name() + " has targets "
                        + Arrays.toString(ts) + ", shard " + first.name() + " " + Arrays.toString(fs));
            }
            n += p.size();
        }
        List<InputTensor> inputs = new ArrayList<>();
        for (int k = 0; k < first.inputs().size(); k++) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (TensorSplit p : parts) {
                bytes.writeBytes(p.inputs().get(k).data());
            }
            long[] shape = first.inputs().get(k).shape();
            shape[0] = n;
            inputs.add(new InputTensor(first.inputs().get(k).name(), first.inputs().get(k).dtype(), shape,
                    bytes.toByteArray()));
        }
        long[] targetShape = first.targetShape();
        targetShape[0] = n;
        int[] targets = parts.stream().flatMapToInt(p -> Arrays.stream(p.targets())).toArray();
        return new TensorSplit(name, inputs, targetShape, targets, first.ignoreIndex());
    }
}
