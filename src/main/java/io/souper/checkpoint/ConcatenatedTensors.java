package io.souper.checkpoint;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One safetensors "file" made of tensors that several readers hold (the shards of a checkpoint,
 * each perhaps an object read with ranged requests): a header written here, then each tensor's
 * bytes read from its own reader when asked for. Nothing is copied ahead, so the averaging and
 * loading code that reads one safetensors file reads a sharded or remote checkpoint the same way,
 * with the same bounded memory. Whoever owns the readers closes them ({@code owner}, if given,
 * is closed with this source).
 */
public final class ConcatenatedTensors implements ByteSource {

    private final String name;
    private final byte[] header;
    private final long[] starts;
    private final long[] sizes;
    private final String[] tensors;
    private final SafetensorsReader[] readers;
    private final long size;
    private final Closeable owner;

    private ConcatenatedTensors(String name, byte[] header, List<TensorSpec> sorted,
                                Function<String, SafetensorsReader> readerOf, Closeable owner) {
        this.name = name;
        this.header = header;
        this.owner = owner;
        int n = sorted.size();
        this.starts = new long[n];
        this.sizes = new long[n];
        this.tensors = new String[n];
        this.readers = new SafetensorsReader[n];
        long at = header.length;
        for (int i = 0; i < n; i++) {
            TensorSpec spec = sorted.get(i);
            starts[i] = at;
            sizes[i] = spec.byteSize();
            tensors[i] = spec.name();
            readers[i] = readerOf.apply(spec.name());
            at += sizes[i];
        }
        this.size = at;
    }

    /**
     * A reader over {@code specs}, each read from {@code readerOf.apply(name)}; closing it closes
     * {@code owner} (null: nothing). Metadata as every averaged file has it.
     */
    public static SafetensorsReader open(String name, List<TensorSpec> specs,
                                         Function<String, SafetensorsReader> readerOf, Closeable owner) {
        List<TensorSpec> sorted = new ArrayList<>(specs);
        sorted.sort(Comparator.comparing(TensorSpec::name));
        byte[] header = SafetensorsWriter.headerBytes(sorted, Map.of());
        return SafetensorsReader.open(new ConcatenatedTensors(name, header, sorted, readerOf, owner));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int read(ByteBuffer destination, long position) {
        if (position >= size) {
            return -1;
        }
        if (!destination.hasRemaining()) {
            return 0;
        }
        if (position < header.length) {
            int n = (int) Math.min(destination.remaining(), header.length - position);
            destination.put(header, (int) position, n);
            return n;
        }
        int i = Arrays.binarySearch(starts, position);
        i = i >= 0 ? i : -i - 2;
        while (position >= starts[i] + sizes[i]) { // zero-sized tensors share their start with the next one
            i++;
        }
        long offset = position - starts[i];
        int n = (int) Math.min(destination.remaining(), sizes[i] - offset);
        ByteBuffer slice = destination.duplicate();
        slice.limit(slice.position() + n);
        readers[i].read(tensors[i], offset, slice);
        destination.position(destination.position() + n);
        return n;
    }

    @Override
    public void close() throws IOException {
        if (owner != null) {
            owner.close();
        }
    }
}
