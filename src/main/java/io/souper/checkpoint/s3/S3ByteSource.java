package io.souper.checkpoint.s3;

import io.souper.checkpoint.ByteSource;
import io.souper.checkpoint.CheckpointErrorCode;
import io.souper.errors.SouperException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * One object read with ranged GETs, never held whole. A read at the position where the open
 * response stream stands continues that stream; any other position opens a new ranged GET. Each
 * GET asks for no more than the bytes served so far (at least the read itself, at most the
 * read-ahead), so the first reads (the 8-byte length, then the header) fetch exactly those bytes
 * and the header is validated before any tensor byte is requested, while a sequential read of
 * the body soon runs in read-ahead-sized requests. The object is pinned by its ETag: if it is
 * replaced while being read, the next GET fails instead of mixing two versions.
 */
final class S3ByteSource implements ByteSource {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(S3ByteSource.class);

    private final S3Client client;
    private final S3Location location;
    private final long size;
    private final String etag;
    private final long readAhead;
    private final byte[] copy = new byte[1 << 16];
    private ResponseInputStream<GetObjectResponse> stream;
    private long streamPosition;
    private long streamEnd;
    private long served;
    private long requests;

    S3ByteSource(S3Client client, S3Location location, long size, String etag, long readAhead) {
        this.client = client;
        this.location = location;
        this.size = size;
        this.etag = etag;
        this.readAhead = readAhead;
    }

    @Override
    public String name() {
        return location.uri();
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public String version() {
        return etag == null ? null : "s3:" + location.uri() + ":" + size + ":" + etag;
    }

    /** Ranged GETs issued so far. */
    long requests() {
        return requests;
    }

    /** Bytes handed to readers so far. */
    long bytesRead() {
        return served;
    }

    @Override
    public synchronized int read(ByteBuffer destination, long position) throws IOException {
        if (position >= size) {
            return -1;
        }
        if (!destination.hasRemaining()) {
            return 0;
        }
        if (stream == null || streamPosition != position || streamPosition >= streamEnd) {
            openAt(position, destination.remaining());
        }
        int want = (int) Math.min(destination.remaining(), streamEnd - streamPosition);
        int total = 0;
        while (total < want) {
            int n = stream.read(copy, 0, Math.min(copy.length, want - total));
            if (n < 0) {
                dropStream();
                throw new IOException(location + ": object ended at " + streamPosition + ", expected " + size + " bytes");
            }
            destination.put(copy, 0, n);
            total += n;
            streamPosition += n;
        }
        served += total;
        return total;
    }

    private void openAt(long position, int length) throws IOException {
        dropStream();
        long span = Math.min(readAhead, Math.max(length, served));
        long end = Math.min(size, position + Math.max(span, length));
        try {
            stream = client.getObject(GetObjectRequest.builder().bucket(location.bucket()).key(location.key())
                    .range("bytes=" + position + "-" + (end - 1)).ifMatch(etag).build());
        } catch (NoSuchKeyException e) {
            throw new SouperException(CheckpointErrorCode.FILE_NOT_FOUND, location + ": no such object", e);
        } catch (SdkException e) {
            throw new IOException(location + ": ranged GET " + position + "-" + (end - 1) + " failed: " + e.getMessage(), e);
        }
        requests++;
        streamPosition = position;
        streamEnd = end;
    }

    /** Abort, not close: closing would drain the rest of the range over the network. */
    private void dropStream() {
        if (stream != null) {
            if (streamPosition < streamEnd) {
                stream.abort();
            }
            closeQuietly(stream);
            stream = null;
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException | RuntimeException ignored) {
            // the connection is being dropped anyway
        }
    }

    @Override
    public synchronized void close() {
        dropStream();
        LOG.debug("{}: read {} of {} bytes in {} ranged GETs", location, served, size, requests);
    }
}
