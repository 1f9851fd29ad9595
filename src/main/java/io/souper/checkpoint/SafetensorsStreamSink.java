package io.souper.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.souper.errors.SouperException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Receives a safetensors file as it is written (e.g. an average as {@link RunningSum} computes it)
 * and hands each tensor, whole, to a consumer as soon as its last byte arrives, without the file
 * ever existing: a candidate soup can be scored from memory and only written to the store when it
 * must be. Holds the header and one tensor at a time (in a direct buffer, which DJL takes
 * without copying). Meant for files this process writes itself: the header is parsed, not
 * policed like an untrusted file's.
 */
public final class SafetensorsStreamSink extends OutputStream {

    /** Called once the header is known (every tensor, in file order), then once per tensor. */
    public interface Consumer {
        void begin(List<TensorSpec> tensors);

        void tensor(Tensor tensor);

        void end();
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Consumer consumer;
    private final ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    private ByteBuffer headerBytes;
    private Iterator<TensorSpec> pending;
    private TensorSpec current;
    private ByteBuffer data;
    private boolean ended;

    public SafetensorsStreamSink(Consumer consumer) {
        this.consumer = consumer;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        int at = offset;
        int end = offset + length;
        while (at < end) {
            if (lengthBytes.hasRemaining()) {
                int n = Math.min(lengthBytes.remaining(), end - at);
                lengthBytes.put(bytes, at, n);
                at += n;
                if (!lengthBytes.hasRemaining()) {
                    long headerLength = lengthBytes.getLong(0);
                    if (headerLength <= 0 || headerLength > SafetensorsHeader.MAX_HEADER_BYTES) {
                        throw new IOException("safetensors stream: header length " + headerLength + " out of range");
                    }
                    headerBytes = ByteBuffer.allocate((int) headerLength);
                }
            } else if (headerBytes.hasRemaining()) {
                int n = Math.min(headerBytes.remaining(), end - at);
                headerBytes.put(bytes, at, n);
                at += n;
                if (!headerBytes.hasRemaining()) {
                    List<TensorSpec> specs = parse(headerBytes.array());
                    consumer.begin(specs);
                    pending = specs.iterator();
                    next();
                }
            } else {
                if (current == null) {
                    throw new IOException("safetensors stream: " + (end - at) + " bytes after the last tensor");
                }
                int n = Math.min(data.remaining(), end - at);
                data.put(bytes, at, n);
                at += n;
                if (!data.hasRemaining()) {
                    deliver();
                    next();
                }
            }
        }
    }

    /** Delivers zero-sized tensors at once and prepares the buffer of the next one with bytes. */
    private void next() {
        while (pending.hasNext()) {
            current = pending.next();
            long size = current.byteSize();
            if (size > Integer.MAX_VALUE - 16) {
                throw new SouperException(CheckpointErrorCode.BAD_HEADER, "tensor '" + current.name() + "' is "
                        + size + " bytes, more than one buffer can hold");
            }
            data = ByteBuffer.allocateDirect((int) size).order(ByteOrder.LITTLE_ENDIAN);
            if (size > 0) {
                return;
            }
            deliver();
        }
        current = null;
        data = null;
        if (!ended) {
            ended = true;
            consumer.end();
        }
    }

    private void deliver() {
        data.flip();
        consumer.tensor(new Tensor(current.name(), current.dtype(), current.shape(), data));
        data = null;
    }

    /** Whether every tensor arrived. */
    public boolean complete() {
        return ended;
    }

    private static List<TensorSpec> parse(byte[] header) throws IOException {
        JsonNode root = JSON.readTree(header);
        List<long[]> offsets = new ArrayList<>();
        List<TensorSpec> specs = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().equals(SafetensorsHeader.METADATA_KEY)) {
                continue;
            }
            JsonNode entry = field.getValue();
            JsonNode shapeNode = entry.get("shape");
            long[] shape = new long[shapeNode.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeNode.get(i).asLong();
            }
            specs.add(new TensorSpec(field.getKey(), DType.valueOf(entry.get("dtype").asText()), shape));
            offsets.add(new long[] {entry.get("data_offsets").get(0).asLong(), specs.size() - 1});
        }
        offsets.sort(Comparator.comparingLong((long[] o) -> o[0]).thenComparingLong(o -> o[1]));
        List<TensorSpec> inFileOrder = new ArrayList<>(specs.size());
        offsets.forEach(o -> inFileOrder.add(specs.get((int) o[1])));
        return inFileOrder;
    }
}
