package io.souper.checkpoint;

import io.souper.errors.SouperException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a safetensors file without ever holding more than the asked-for bytes: the header
 * is parsed and validated on open, then each tensor (or a window of one) is either
 * memory-mapped or read positionally. Offsets are 64-bit and every tensor is mapped on
 * its own, so files larger than 2 GiB work; only a single mapping must stay below 2 GiB.
 * Thread-safe for reads: positional reads and mappings do not share a file position.
 */
public final class SafetensorsReader implements Closeable {

    private final Path file;
    private final ByteSource channel;
    private final SafetensorsHeader header;

    private SafetensorsReader(Path file, ByteSource channel, SafetensorsHeader header) {
        this.file = file;
        this.channel = channel;
        this.header = header;
    }

    /**
     * Opens and validates a safetensors file behind any {@link ByteSource} (e.g. an object read
     * with ranged requests): only the 8-byte length and the header are read here, the tensors
     * when asked for. The reader closes the source. {@link #file()} is then the source's name,
     * for messages only; {@link #map} needs a local file.
     */
    public static SafetensorsReader open(ByteSource source) {
        Path name = Path.of(source.name());
        try {
            return new SafetensorsReader(name, source, SafetensorsHeader.read(name, source));
        } catch (IOException e) {
            closeQuietly(source);
            throw CheckpointErrorCode.io(name, e);
        } catch (RuntimeException e) {
            closeQuietly(source);
            throw e;
        }
    }

    /** Opens and validates {@code file}; a malformed file is a BAD_HEADER error naming it. */
    public static SafetensorsReader open(Path file) {
        if (Files.isDirectory(file)) { // Linux opens directories for reading; fail early and not as retriable I/O
            throw new SouperException(CheckpointErrorCode.FILE_NOT_FOUND, file + ": is a directory, not a file");
        }
        ByteSource channel;
        try {
            channel = ByteSource.of(file, FileChannel.open(file, StandardOpenOption.READ));
        } catch (IOException e) {
            throw CheckpointErrorCode.io(file, e);
        }
        try {
            return new SafetensorsReader(file, channel, SafetensorsHeader.read(file, channel));
        } catch (IOException e) {
            closeQuietly(channel);
            throw CheckpointErrorCode.io(file, e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    public Path file() {
        return file;
    }

    /** Whether the tensors are in a local file, so {@link #map} works. */
    public boolean isLocalFile() {
        return channel.fileChannel() != null;
    }

    /** {@link ByteSource#version()} of what this reader reads: null when unknown. */
    public String sourceVersion() {
        return channel.version();
    }

    /** The {@code __metadata__} string map, in file order; empty when absent. */
    public Map<String, String> metadata() {
        return header.metadata;
    }

    /** All tensors, sorted by name. */
    public List<TensorSpec> tensors() {
        List<TensorSpec> specs = new ArrayList<>(header.entries.size());
        header.entries.values().forEach(e -> specs.add(e.spec()));
        return specs;
    }

    /** Tensor names, sorted. */
    public Set<String> names() {
        return header.entries.keySet();
    }

    public boolean contains(String name) {
        return header.entries.containsKey(name);
    }

    public TensorSpec spec(String name) {
        return entry(name).spec();
    }

    /** Size of the data section (all tensor bytes). */
    public long dataBytes() {
        return header.dataLength;
    }

    /**
     * True for a local file, where reads at different positions may run at once; an object-store
     * source streams best in order (see {@link ChunkedAccumulator}).
     */
    boolean readsInParallel() {
        return channel.fileChannel() != null;
    }

    /** The whole tensor, memory-mapped: costs no heap, pages come from the page cache. */
    public Tensor map(String name) {
        SafetensorsHeader.Entry e = entry(name);
        long length = e.end() - e.begin();
        if (length > Integer.MAX_VALUE) {
            throw new SouperException(CheckpointErrorCode.BAD_HEADER, file + ": tensor '" + name + "' is "
                    + length + " bytes, too large to map at once; read it in windows");
        }
        return new Tensor(name, e.spec().dtype(), e.spec().shape(), map(name, 0, (int) length));
    }

    /** Maps {@code length} bytes of tensor {@code name} starting {@code byteOffset} bytes into it. */
    public ByteBuffer map(String name, long byteOffset, int length) {
        long position = checkedPosition(name, byteOffset, length);
        if (length == 0) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        if (channel.fileChannel() == null) {
            throw new UnsupportedOperationException(file + " is not a local file and cannot be memory-mapped; use read()");
        }
        try {
            // Mapping past the end would make the first access fault (SIGBUS, an InternalError): refuse it now.
            // A truncation after this check still faults; a volume that goes away mid-read is rarely truncated.
            if (channel.size() < position + length) {
                throw shrank(channel.size(), name);
            }
            return channel.fileChannel().map(FileChannel.MapMode.READ_ONLY, position, length).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw CheckpointErrorCode.io(file, e);
        }
    }

    /** Fills {@code destination} (all of its remaining bytes) from tensor {@code name} at {@code byteOffset}. */
    public void read(String name, long byteOffset, ByteBuffer destination) {
        long position = checkedPosition(name, byteOffset, destination.remaining());
        try {
            long at = position;
            while (destination.hasRemaining()) {
                int n = channel.read(destination, at);
                if (n < 0) {
                    throw shrank(at, name);
                }
                at += n;
            }
        } catch (IOException e) {
            throw CheckpointErrorCode.io(file, e);
        }
    }

    /** The whole tensor copied onto the heap; for small tensors and tests. */
    public Tensor load(String name) {
        TensorSpec spec = spec(name);
        if (spec.byteSize() > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException(file + ": tensor '" + name + "' is too large to load on the heap");
        }
        ByteBuffer bytes = ByteBuffer.allocate((int) spec.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        read(name, 0, bytes);
        return new Tensor(name, spec.dtype(), spec.shape(), bytes.flip());
    }

    /**
     * The header was checked against the file's size when it was opened, so a file that ends before
     * the data it promised changed underneath us (rewritten in place, or its volume failed): the
     * world's fault, retriable. Read again, it either is whole or fails its header check as the
     * record's fault.
     */
    private SouperException shrank(long endedAt, String tensor) {
        return new SouperException(CheckpointErrorCode.IO_ERROR, file + ": ended at offset " + endedAt
                + " while reading tensor '" + tensor + "', though it held " + (header.dataStart + header.dataLength)
                + " bytes when it was opened: it shrank or went away while being read");
    }

    private long checkedPosition(String name, long byteOffset, long length) {
        SafetensorsHeader.Entry e = entry(name);
        if (byteOffset < 0 || length < 0 || byteOffset > e.end() - e.begin() - length) {
            throw new IndexOutOfBoundsException("bytes [" + byteOffset + ", " + (byteOffset + length)
                    + ") outside tensor '" + name + "' of " + (e.end() - e.begin()) + " bytes in " + file);
        }
        return header.dataStart + e.begin() + byteOffset;
    }

    private SafetensorsHeader.Entry entry(String name) {
        SafetensorsHeader.Entry e = header.entries.get(name);
        if (e == null) {
            throw new SouperException(CheckpointErrorCode.KEY_MISMATCH, file + ": no tensor named '" + name + "'");
        }
        return e;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw CheckpointErrorCode.io(file, e);
        }
    }

    private static void closeQuietly(ByteSource channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // already failing with a better exception
        }
    }
}
