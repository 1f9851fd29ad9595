package io.souper.data;

import io.souper.errors.SouperException;
import io.souper.checkpoint.CheckpointErrorCode;
import io.souper.checkpoint.DType;
import io.souper.checkpoint.SafetensorsReader;
import io.souper.checkpoint.SafetensorsWriter;
import io.souper.checkpoint.Tensor;
import io.souper.checkpoint.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Labelled image splits as safetensors files: tensor {@code inputs} of shape [n, c, h, w]
 * (or [n, h, w], one channel) and tensor {@code labels} of shape [n].
 * <ul>
 *   <li>{@code inputs} F32: used as they are (already normalised);</li>
 *   <li>{@code inputs} U8: raw pixels, normalised with the file's metadata
 *       {@code normalisation_mean} / {@code normalisation_std} (one value or one per channel,
 *       comma-separated), else with the caller's, else with {@link PixelNormalisation#FASHION_MNIST};</li>
 *   <li>{@code labels} I64, I32 or U8, each in [0, 2^31).</li>
 * </ul>
 * A directory is read as shards: its {@code *.safetensors} files sorted by name and
 * concatenated (all with the same image shape). {@link #write} writes F32 inputs and I64
 * labels, so a written file needs no normalisation to be read back.
 */
public final class DatasetFiles {

    public static final String INPUTS = "inputs";
    public static final String LABELS = "labels";
    public static final String MEAN_KEY = "normalisation_mean";
    public static final String STD_KEY = "normalisation_std";
    public static final String NAME_KEY = "name";
    public static final String EXTENSION = ".safetensors";

    private DatasetFiles() {
    }

    /** A file or a directory of shards; U8 pixels without metadata use Fashion-MNIST's normalisation. */
    public static LabeledImages read(Path fileOrDirectory) {
        return read(fileOrDirectory, null);
    }

    /**
     * A file or a directory of shards. {@code u8Normalisation}, when not null, overrides the
     * files' metadata for U8 pixels.
     */
    public static LabeledImages read(Path fileOrDirectory, PixelNormalisation u8Normalisation) {
        List<Path> shards = shards(fileOrDirectory);
        List<LabeledImages> parts = new ArrayList<>(shards.size());
        for (Path shard : shards) {
            parts.add(readShard(shard, u8Normalisation));
        }
        String name = stripExtension(fileOrDirectory.getFileName() == null ? fileOrDirectory.toString()
                : fileOrDirectory.getFileName().toString());
        return concatenate(name, parts);
    }

    /** Writes {@code data} as one file: F32 inputs [n, c, h, w], I64 labels [n], its name as metadata. */
    public static void write(Path file, LabeledImages data) {
        int n = data.size();
        ByteBuffer inputs = ByteBuffer.allocate(Math.multiplyExact(data.inputs().length, 4)).order(ByteOrder.LITTLE_ENDIAN);
        inputs.asFloatBuffer().put(data.inputs());
        ByteBuffer labels = ByteBuffer.allocate(n * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int y : data.labels()) {
            labels.putLong(y);
        }
        labels.flip();
        List<Tensor> tensors = List.of(
                new Tensor(INPUTS, DType.F32, new long[] {n, data.channels(), data.height(), data.width()}, inputs),
                new Tensor(LABELS, DType.I64, new long[] {n}, labels));
        try {
            SafetensorsWriter.write(file, tensors, Map.of(NAME_KEY, data.name()));
        } catch (SouperException e) {
            throw translate(file, e);
        }
    }

    static List<Path> shards(Path fileOrDirectory) {
        if (Files.isRegularFile(fileOrDirectory)) {
            return List.of(fileOrDirectory);
        }
        if (!Files.isDirectory(fileOrDirectory)) {
            throw new SouperException(DatasetErrorCode.FILE_NOT_FOUND, fileOrDirectory + ": no such file or directory");
        }
        try (Stream<Path> files = Files.list(fileOrDirectory)) {
            List<Path> shards = files.filter(p -> p.getFileName().toString().endsWith(EXTENSION))
                    .filter(Files::isRegularFile).sorted().toList();
            if (shards.isEmpty()) {
                throw new SouperException(DatasetErrorCode.FILE_NOT_FOUND, fileOrDirectory + ": no *" + EXTENSION
                        + " shards in this directory");
            }
            return shards;
        } catch (IOException e) {
            throw DatasetErrorCode.io(fileOrDirectory, e);
        }
    }

    private static LabeledImages readShard(Path file, PixelNormalisation override) {
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            if (!reader.contains(INPUTS) || !reader.contains(LABELS)) {
                throw DatasetErrorCode.bad(file, "a dataset file needs tensors '" + INPUTS + "' and '" + LABELS
                        + "', found " + reader.names());
            }
            TensorSpec in = reader.spec(INPUTS);
            TensorSpec lab = reader.spec(LABELS);
            long[] shape = in.shape();
            if (shape.length == 3) {
                shape = new long[] {shape[0], 1, shape[1], shape[2]};
            }
            if (shape.length != 4 || lab.shape().length != 1) {
                throw DatasetErrorCode.bad(file, "inputs must be [n, c, h, w] or [n, h, w] and labels [n], got "
                        + in + " and " + lab);
            }
            if (shape[0] != lab.shape()[0]) {
                throw DatasetErrorCode.bad(file, lab.shape()[0] + " labels for " + shape[0] + " images");
            }
            // The reader has checked every declared size against the file; these checks keep the
            // casts below exact (a split of 0 images may declare any image shape).
            for (long d : shape) {
                if (d > Integer.MAX_VALUE) {
                    throw DatasetErrorCode.bad(file, "inputs of shape " + java.util.Arrays.toString(shape)
                            + " have a dimension beyond 2^31");
                }
            }
            long imagePlane = shape[2] * shape[3]; // each factor < 2^31: no overflow, nor below
            if (imagePlane > Integer.MAX_VALUE || shape[1] * imagePlane > Integer.MAX_VALUE - 16) {
                throw DatasetErrorCode.bad(file, "images of " + shape[1] + "x" + shape[2] + "x" + shape[3]
                        + " values are too large");
            }
            if (in.byteSize() > Integer.MAX_VALUE - 16) {
                throw DatasetErrorCode.bad(file, "inputs of " + in.byteSize() + " bytes: split it into shards");
            }
            int n = (int) shape[0];
            int c = (int) shape[1];
            int h = (int) shape[2];
            int w = (int) shape[3];
            float[] inputs = new float[Math.multiplyExact(n, c * h * w)];
            ByteBuffer raw = reader.map(INPUTS, 0, (int) in.byteSize());
            switch (in.dtype()) {
                case F32 -> raw.asFloatBuffer().get(inputs);
                case U8 -> {
                    byte[] pixels = new byte[inputs.length];
                    raw.get(pixels);
                    PixelNormalisation norm = override != null ? override : normalisation(file, reader.metadata());
                    if (norm.mean().length != 1 && norm.mean().length != c) {
                        throw DatasetErrorCode.bad(file, "normalisation " + norm + " does not fit " + c + " channels");
                    }
                    norm.apply(pixels, 0, n, c, h * w, inputs, 0);
                }
                default -> throw DatasetErrorCode.bad(file, "inputs must be F32 (normalised) or U8 (pixels), got "
                        + in.dtype());
            }
            for (int i = 0; i < inputs.length; i++) {
                if (!Float.isFinite(inputs[i])) {
                    throw DatasetErrorCode.bad(file, "input value " + inputs[i] + " at flat index " + i);
                }
            }
            int[] labels = labels(file, reader, lab, n);
            return new LabeledImages(stripExtension(file.getFileName().toString()), inputs, labels, c, h, w);
        } catch (SouperException e) {
            throw translate(file, e);
        }
    }

    private static int[] labels(Path file, SafetensorsReader reader, TensorSpec spec, int n) {
        ByteBuffer raw = reader.map(LABELS, 0, (int) spec.byteSize());
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            long y = switch (spec.dtype()) {
                case I64 -> raw.getLong(i * 8);
                case I32 -> raw.getInt(i * 4);
                case U8 -> raw.get(i) & 0xff;
                default -> throw DatasetErrorCode.bad(file, "labels must be I64, I32 or U8, got " + spec.dtype());
            };
            if (y < 0 || y > Integer.MAX_VALUE) {
                throw DatasetErrorCode.bad(file, "label " + y + " of image " + i + " is not a class index");
            }
            out[i] = (int) y;
        }
        return out;
    }

    private static PixelNormalisation normalisation(Path file, Map<String, String> metadata) {
        String mean = metadata.get(MEAN_KEY);
        String std = metadata.get(STD_KEY);
        if (mean == null && std == null) {
            return PixelNormalisation.FASHION_MNIST;
        }
        if (mean == null || std == null) {
            throw DatasetErrorCode.bad(file, "metadata has only one of " + MEAN_KEY + " and " + STD_KEY);
        }
        try {
            return new PixelNormalisation(floats(mean), floats(std));
        } catch (IllegalArgumentException e) {
            throw DatasetErrorCode.bad(file, "bad normalisation metadata: " + e.getMessage());
        }
    }

    static float[] floats(String commaSeparated) {
        String[] parts = commaSeparated.split(",");
        float[] out = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Float.parseFloat(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + parts[i] + "' is not a number");
            }
        }
        return out;
    }

    private static LabeledImages concatenate(String name, List<LabeledImages> parts) {
        if (parts.size() == 1) {
            LabeledImages only = parts.get(0);
            return new LabeledImages(name, only.inputs(), only.labels(), only.channels(), only.height(), only.width());
        }
        LabeledImages first = parts.get(0);
        long images = 0;
        for (LabeledImages p : parts) {
            if (p.channels() != first.channels() || p.height() != first.height() || p.width() != first.width()) {
                throw new SouperException(DatasetErrorCode.BAD_DATASET, "shard " + p.name() + " has images of "
                        + p.channels() + "x" + p.height() + "x" + p.width() + ", shard " + first.name() + " of "
                        + first.channels() + "x" + first.height() + "x" + first.width());
            }
            images += p.size();
        }
        float[] inputs = new float[Math.toIntExact(images * first.imageSize())];
        int[] labels = new int[(int) images];
        int at = 0;
        for (LabeledImages p : parts) {
            System.arraycopy(p.inputs(), 0, inputs, at * first.imageSize(), p.inputs().length);
            System.arraycopy(p.labels(), 0, labels, at, p.size());
            at += p.size();
        }
        return new LabeledImages(name, inputs, labels, first.channels(), first.height(), first.width());
    }

    /** A checkpoint-layer failure reading a dataset file is the data's problem; the data layer's own pass through. */
    static SouperException translate(Path file, SouperException e) {
        if (!(e.code() instanceof CheckpointErrorCode checkpointCode)) {
            return e;
        }
        DatasetErrorCode code = switch (checkpointCode) {
            case FILE_NOT_FOUND -> DatasetErrorCode.FILE_NOT_FOUND;
            case IO_ERROR -> DatasetErrorCode.IO_ERROR;
            default -> DatasetErrorCode.BAD_DATASET;
        };
        return new SouperException(code, file + ": " + e.getMessage(), e);
    }

    private static String stripExtension(String fileName) {
        return fileName.endsWith(EXTENSION) ? fileName.substring(0, fileName.length() - EXTENSION.length()) : fileName;
    }

    /** Metadata keys and values as a sorted map, for callers building their own files. */
    public static Map<String, String> normalisationMetadata(PixelNormalisation normalisation) {
        Map<String, String> out = new TreeMap<>();
        out.put(MEAN_KEY, join(normalisation.mean()));
        out.put(STD_KEY, join(normalisation.std()));
        return out;
    }

    private static String join(float[] values) {
        StringBuilder sb = new StringBuilder();
        for (float v : values) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(v);
        }
        return sb.toString();
    }
}
