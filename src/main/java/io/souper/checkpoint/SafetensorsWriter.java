package io.souper.checkpoint;

import io.souper.errors.SouperException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Streams a safetensors file: the header (all tensor specs known up front) is written on
 * {@link #open}, then tensor bytes follow in name order, whole or in chunks, so memory
 * stays bounded by the caller's chunk. The output is deterministic: tensors sorted by
 * name, metadata sorted by key, compact JSON padded with spaces to a multiple of 8.
 * The writer does not close the stream it was given.
 */
public final class SafetensorsWriter {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int COPY_CHUNK = 1 << 16;

    private final OutputStream out;
    private final List<TensorSpec> order;
    private int current;
    private long writtenInCurrent;
    private byte[] copyBuffer;

    private SafetensorsWriter(OutputStream out, List<TensorSpec> order) {
        this.out = out;
        this.order = order;
    }

    /** Writes the header for {@code tensors} (any order; written sorted by name) and {@code metadata}. */
    public static SafetensorsWriter open(OutputStream out, Collection<TensorSpec> tensors, Map<String, String> metadata) {
        List<TensorSpec> order = new ArrayList<>(tensors);
        order.sort(Comparator.comparing(TensorSpec::name));
        for (int i = 0; i < order.size(); i++) {
            String name = order.get(i).name();
            if (name.equals(SafetensorsHeader.METADATA_KEY)) {
                throw new IllegalArgumentException("'" + name + "' is reserved for metadata");
            }
            if (i > 0 && name.equals(order.get(i - 1).name())) {
                throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
            }
        }
        SafetensorsWriter writer = new SafetensorsWriter(out, order);
        writer.writeRaw(headerBytes(order, metadata));
        writer.skipEmpty();
        return writer;
    }

    /** Convenience for small state dicts: writes {@code tensors} to {@code file} in one go. */
    public static void write(Path file, Collection<Tensor> tensors, Map<String, String> metadata) {
        List<TensorSpec> specs = tensors.stream().map(TensorSpec::of).toList();
        List<Tensor> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparing(Tensor::name));
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            SafetensorsWriter writer = open(out, specs, metadata);
            for (Tensor t : sorted) {
                writer.write(t);
            }
            writer.finish();
        } catch (IOException e) {
            throw CheckpointErrorCode.io(file, e);
        }
    }

    /** The tensors in the order their bytes must be written. */
    public List<TensorSpec> order() {
        return Collections.unmodifiableList(order);
    }

    /** Writes a whole tensor; it must be the next one in name order and match its spec. */
    public void write(Tensor tensor) {
        if (tensor.byteSize() == 0) { // empty tensors have no bytes: complete as soon as the header is out
            if (!order.contains(TensorSpec.of(tensor))) {
                throw new IllegalArgumentException("tensor " + TensorSpec.of(tensor) + " is not in the header");
            }
            return;
        }
        TensorSpec expected = expectNext(tensor.name());
        if (!expected.equals(TensorSpec.of(tensor))) {
            throw new IllegalArgumentException("tensor " + TensorSpec.of(tensor) + " does not match header " + expected);
        }
        if (writtenInCurrent != 0) {
            throw new IllegalStateException("tensor '" + tensor.name() + "' was already partly written");
        }
        writeData(tensor.name(), tensor.data());
    }

    /** Appends {@code bytes} (all remaining) to tensor {@code name}, which must be the one being written. */
    public void writeData(String name, ByteBuffer bytes) {
        TensorSpec spec = expectNext(name);
        long left = spec.byteSize() - writtenInCurrent;
        if (bytes.remaining() > left) {
            throw new IllegalArgumentException("tensor '" + name + "' has only " + left + " bytes left, got "
                    + bytes.remaining());
        }
        int n = bytes.remaining();
        writeRaw(bytes);
        writtenInCurrent += n;
        if (writtenInCurrent == spec.byteSize()) {
            current++;
            writtenInCurrent = 0;
            skipEmpty();
        }
    }

    /** Checks that every tensor was written in full and flushes. */
    public void finish() {
        if (current < order.size()) {
            throw new IllegalStateException("tensor '" + order.get(current).name() + "' and "
                    + (order.size() - current - 1) + " more were not written");
        }
        try {
            out.flush();
        } catch (IOException e) {
            throw new SouperException(CheckpointErrorCode.IO_ERROR, "writing safetensors: " + e, e);
        }
    }

    private TensorSpec expectNext(String name) {
        if (current >= order.size()) {
            throw new IllegalStateException("all tensors are written; no room for '" + name + "'");
        }
        TensorSpec spec = order.get(current);
        if (!spec.name().equals(name)) {
            throw new IllegalStateException("expected bytes of tensor '" + spec.name() + "', got '" + name + "'");
        }
        return spec;
    }

    /** Zero-byte tensors are complete as soon as they are reached. */
    private void skipEmpty() {
        while (current < order.size() && order.get(current).byteSize() == 0) {
            current++;
        }
    }

    private void writeRaw(byte[] bytes) {
        writeRaw(ByteBuffer.wrap(bytes));
    }

    private void writeRaw(ByteBuffer bytes) {
        try {
            if (bytes.hasArray()) {
                out.write(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining());
                return;
            }
            if (copyBuffer == null) {
                copyBuffer = new byte[COPY_CHUNK];
            }
            ByteBuffer source = bytes.duplicate();
            while (source.hasRemaining()) {
                int n = Math.min(copyBuffer.length, source.remaining());
                source.get(copyBuffer, 0, n);
                out.write(copyBuffer, 0, n);
            }
        } catch (IOException e) {
            throw new SouperException(CheckpointErrorCode.IO_ERROR, "writing safetensors: " + e, e);
        }
    }

    static byte[] headerBytes(List<TensorSpec> sorted, Map<String, String> metadata) {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(SafetensorsHeader.METADATA_KEY);
            new TreeMap<>(metadata).forEach(meta::put);
        }
        long offset = 0;
        for (TensorSpec spec : sorted) {
            ObjectNode entry = root.putObject(spec.name());
            entry.put("dtype", spec.dtype().name());
            ArrayNode shape = entry.putArray("shape");
            for (long d : spec.shape()) {
                shape.add(d);
            }
            long end = offset + spec.byteSize();
            entry.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise safetensors header", e);
        }
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer header = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        header.putLong(padded).put(json);
        while (header.hasRemaining()) {
            header.put((byte) ' ');
        }
        return header.array();
    }
}
