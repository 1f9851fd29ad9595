package io.souper.corpus;

import io.souper.checkpoint.DType;
import io.souper.checkpoint.SafetensorsReader;
import io.souper.checkpoint.SafetensorsWriter;
import io.souper.checkpoint.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Checkpoint files a clumsy or hostile trainer could announce, each made from one good checkpoint
 * of the soup's architecture so that exactly one thing is wrong with it.
 */
final class BadCheckpointFiles {

    private final Path good;
    private final List<Tensor> tensors;

    BadCheckpointFiles(Path good) {
        this.good = good;
        List<Tensor> loaded = new ArrayList<>();
        try (SafetensorsReader reader = SafetensorsReader.open(good)) {
            for (String name : reader.names()) {
                loaded.add(reader.load(name));
            }
        }
        this.tensors = List.copyOf(loaded);
    }

    /** Names of the checkpoint's tensors, in file order. */
    List<String> names() {
        return tensors.stream().map(Tensor::name).toList();
    }

    /** The good checkpoint with {@code name} replaced by {@code change}'s result. */
    Path with(Path target, String name, UnaryOperator<Tensor> change) {
        List<Tensor> out = new ArrayList<>();
        for (Tensor t : tensors) {
            out.add(t.name().equals(name) ? change.apply(t) : t);
        }
        SafetensorsWriter.write(target, out, Map.of());
        return target;
    }

    /** The good checkpoint with every float tensor narrowed to {@code dtype} (F16 or BF16), rounding to nearest even. */
    Path halfPrecision(Path target, DType dtype, UnaryOperator<Tensor> before) {
        List<Tensor> out = new ArrayList<>();
        for (Tensor original : tensors) {
            Tensor t = before.apply(original);
            if (t.dtype() != DType.F32) {
                out.add(t);
                continue;
            }
            ByteBuffer in = t.data();
            ByteBuffer half = ByteBuffer.allocate((int) t.elementCount() * 2).order(ByteOrder.LITTLE_ENDIAN);
            while (in.hasRemaining()) {
                float v = in.getFloat();
                half.putShort(dtype == DType.BF16 ? bf16(v) : f16(v));
            }
            out.add(new Tensor(t.name(), dtype, t.shape(), half.flip()));
        }
        SafetensorsWriter.write(target, out, Map.of());
        return target;
    }

    /** A float tensor with its element {@code index} set to {@code value} (NaN, infinity). */
    static Tensor poisoned(Tensor t, int index, float value) {
        ByteBuffer data = ByteBuffer.allocate((int) t.byteSize()).order(ByteOrder.LITTLE_ENDIAN).put(t.data());
        data.putFloat(index * 4, value);
        return new Tensor(t.name(), t.dtype(), t.shape(), data.flip());
    }

    /** The same values in one more element: a shape the architecture does not have. */
    static Tensor longer(Tensor t) {
        ByteBuffer data = ByteBuffer.allocate((int) t.byteSize() + 4).order(ByteOrder.LITTLE_ENDIAN).put(t.data())
                .putFloat(0f);
        return new Tensor(t.name(), t.dtype(), new long[] {t.elementCount() + 1}, data.flip());
    }

    /** The same shape as 64-bit integers: a dtype whose meaning a float slot cannot take. */
    static Tensor integers(Tensor t) {
        ByteBuffer data = ByteBuffer.allocate((int) t.elementCount() * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < t.elementCount(); i++) {
            data.putLong(1);
        }
        return new Tensor(t.name(), DType.I64, t.shape(), data.flip());
    }

    static Tensor renamed(Tensor t) {
        return new Tensor(t.name() + "_renamed", t.dtype(), t.shape(), t.data());
    }

    static Tensor zeros(Tensor t) {
        return new Tensor(t.name(), t.dtype(), t.shape(), ByteBuffer.allocate((int) t.byteSize()));
    }

    /** The first half of the good file: a copy that stopped midway. */
    Path truncated(Path target) {
        byte[] bytes = read(good);
        return write(target, Arrays.copyOf(bytes, bytes.length / 2));
    }

    /** A file whose 8-byte header length claims 2^62 bytes. */
    static Path absurdHeaderLength(Path target) {
        return write(target, safetensors("{}".getBytes(StandardCharsets.UTF_8), 1L << 62, 0));
    }

    /** A tensor whose data offsets reach a terabyte into a file of 4 data bytes. */
    static Path absurdOffsets(Path target) {
        return write(target, header("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,1000000000000]}}", 4));
    }

    static Path overlappingOffsets(Path target) {
        return write(target, header("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[2,6]}}", 6));
    }

    /** A header of 100,000 nested JSON objects: a recursive parser would overflow its stack. */
    static Path deepHeader(Path target) {
        int depth = 100_000;
        String json = "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
        return write(target, header(json, 0));
    }

    static Path duplicateKeys(Path target) {
        String entry = "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}";
        return write(target, header("{\"a\":" + entry + ",\"a\":" + entry + "}", 1));
    }

    static Path garbage(Path target) {
        return write(target, "not a safetensors file".getBytes(StandardCharsets.UTF_8));
    }

    /**
     * What {@code torch.save} writes (a zip whose {@code archive/data.pkl} is a pickle), renamed: here
     * a pickle whose loading would run code, {@code open(marker, 'w')}, if anything ever unpickled it.
     */
    static Path pickle(Path target, Path marker) {
        ByteArrayOutputStream pickle = new ByteArrayOutputStream();
        pickle.writeBytes(new byte[] {(byte) 0x80, 2}); // PROTO 2
        pickle.writeBytes("cbuiltins\nopen\n".getBytes(StandardCharsets.US_ASCII)); // GLOBAL builtins.open
        for (String argument : List.of(marker.toString(), "w")) {
            byte[] utf8 = argument.getBytes(StandardCharsets.UTF_8);
            pickle.write('X'); // BINUNICODE
            pickle.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(utf8.length).array());
            pickle.writeBytes(utf8);
        }
        pickle.writeBytes(new byte[] {(byte) 0x86, 'R', '.'}); // TUPLE2, REDUCE, STOP
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(zip)) {
            out.putNextEntry(new ZipEntry("archive/data.pkl"));
            out.write(pickle.toByteArray());
            out.putNextEntry(new ZipEntry("archive/version"));
            out.write("3\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return write(target, zip.toByteArray());
    }

    private static byte[] header(String json, int dataBytes) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        return safetensors(bytes, bytes.length, dataBytes);
    }

    private static byte[] safetensors(byte[] header, long declaredLength, int dataBytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(declaredLength).array());
        out.writeBytes(header);
        out.writeBytes(new byte[dataBytes]);
        return out.toByteArray();
    }

    private static Path write(Path target, byte[] bytes) {
        try {
            return Files.write(target, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** bfloat16 bits of {@code v}, rounded to nearest even (as PyTorch rounds; weights here are finite). */
    static short bf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** IEEE binary16 bits of {@code v}, rounded to nearest even, subnormals included. */
    static short f16(float v) {
        int bits = Float.floatToRawIntBits(v);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = ((bits >>> 23) & 0xFF) - 127 + 15;
        int mantissa = bits & 0x7FFFFF;
        if (exponent >= 31) {
            return (short) (sign | 0x7C00); // beyond the range: infinity (weights here never are)
        }
        if (exponent <= 0) {
            if (exponent < -10) {
                return (short) sign;
            }
            mantissa |= 0x800000;
            int shift = 14 - exponent;
            int half = mantissa >>> shift;
            int rest = mantissa & ((1 << shift) - 1);
            int midpoint = 1 << (shift - 1);
            if (rest > midpoint || (rest == midpoint && (half & 1) == 1)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (exponent << 10) | (mantissa >>> 13);
        int rest = mantissa & 0x1FFF;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) {
            half++; // may carry into the exponent, which is the right rounding
        }
        return (short) (sign | half);
    }
}
