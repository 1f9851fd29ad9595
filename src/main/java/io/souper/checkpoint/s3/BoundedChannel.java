package io.souper.checkpoint.s3;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;

/** A window of a file read positionally (the channel's own position is never used), for one upload part. */
final class BoundedChannel implements ReadableByteChannel {

    private final FileChannel file;
    private final long end;
    private long position;
    private boolean open = true;

    BoundedChannel(FileChannel file, long from, long length) {
        this.file = file;
        this.position = from;
        this.end = from + length;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (position >= end) {
            return -1;
        }
        ByteBuffer window = dst.slice();
        window.limit((int) Math.min(window.remaining(), end - position));
        int n = file.read(window, position);
        if (n > 0) {
            position += n;
            dst.position(dst.position() + n);
        }
        return n;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        open = false; // the file channel belongs to the upload
    }
}
