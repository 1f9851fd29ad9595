package io.souper.checkpoint;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Positional reads from something of known size: a local file, or an object in an object store
 * read with ranged requests. {@link SafetensorsReader} reads headers and tensors through it, so
 * the same validation and the same streaming averaging serve every store.
 */
public interface ByteSource extends Closeable {

    /** What the source is, for messages: a path or a URI. */
    String name();

    long size() throws IOException;

    /**
     * Reads up to {@code destination.remaining()} bytes starting at {@code position}, like
     * {@link FileChannel#read(ByteBuffer, long)}: returns how many, or -1 at the end.
     */
    int read(ByteBuffer destination, long position) throws IOException;

    /**
     * What identifies these exact bytes without reading them (a file's size and modification time,
     * an object's ETag and size), so a hash computed once can be remembered; null when unknown.
     */
    default String version() {
        return null;
    }

    /** The local file behind this source, if it is one (it can then be memory-mapped). */
    default FileChannel fileChannel() {
        return null;
    }

    /** A source over an open file channel, which it closes. */
    static ByteSource of(Path file, FileChannel channel) {
        return new ByteSource() {
            @Override
            public String name() {
                return file.toString();
            }

            @Override
            public long size() throws IOException {
                return channel.size();
            }

            @Override
            public int read(ByteBuffer destination, long position) throws IOException {
                return channel.read(destination, position);
            }

            @Override
            public FileChannel fileChannel() {
                return channel;
            }

            @Override
            public String version() {
                try {
                    return "file:" + file.toRealPath() + ":" + channel.size() + ":"
                            + java.nio.file.Files.getLastModifiedTime(file).to(java.util.concurrent.TimeUnit.NANOSECONDS);
                } catch (IOException e) {
                    return null;
                }
            }

            @Override
            public void close() throws IOException {
                channel.close();
            }
        };
    }
}
