package io.souper.data;

import io.souper.errors.SouperException;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * One IDX file (the MNIST format): magic {@code 0x00 0x00 type ndims}, {@code ndims}
 * big-endian int32 dimensions, then the values. Only unsigned bytes (type 0x08) are
 * accepted, which is what MNIST and Fashion-MNIST use. Gzip is detected by its magic
 * number, not by the file name.
 */
record IdxFile(Path file, int[] dims, byte[] data) {

    private static final int UNSIGNED_BYTE = 0x08;

    static IdxFile read(Path file) {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            boolean gzip = isGzip(raw);
            DataInputStream in = new DataInputStream(gzip
                    ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw);
            int magic = in.readInt();
            if ((magic >>> 16) != 0) {
                throw DatasetErrorCode.bad(file, "not an IDX file (magic " + Integer.toHexString(magic) + ")");
            }
            int type = (magic >>> 8) & 0xff;
            int ndims = magic & 0xff;
            if (type != UNSIGNED_BYTE) {
                throw DatasetErrorCode.bad(file, "IDX element type 0x" + Integer.toHexString(type)
                        + " is not supported (only unsigned bytes, 0x08)");
            }
            if (ndims < 1 || ndims > 4) {
                throw DatasetErrorCode.bad(file, "IDX file with " + ndims + " dimensions");
            }
            int[] dims = new int[ndims];
            long count = 1;
            for (int i = 0; i < ndims; i++) {
                dims[i] = in.readInt();
                if (dims[i] < 0) {
                    throw DatasetErrorCode.bad(file, "negative IDX dimension " + dims[i]);
                }
                count *= dims[i];
                if (count > Integer.MAX_VALUE - 8) {
                    throw DatasetErrorCode.bad(file, "IDX file too large: dimensions " + Arrays.toString(dims));
                }
            }
            // The header's dimensions are a claim: check them against the file before allocating,
            // or a 16-byte file claiming 2^31 values makes the reader allocate 2 GB.
            byte[] data = gzip ? readCompressed(file, in, (int) count, dims) : readPlain(file, in, (int) count, dims,
                    Files.size(file) - 4L * (1 + ndims));
            if (in.read() != -1) {
                throw DatasetErrorCode.bad(file, "trailing bytes after " + count + " values of shape "
                        + Arrays.toString(dims));
            }
            return new IdxFile(file, dims, data);
        } catch (EOFException e) {
            throw DatasetErrorCode.bad(file, "truncated IDX file: it ends inside its header");
        } catch (IOException e) {
            throw DatasetErrorCode.io(file, e);
        }
    }

    private static byte[] readPlain(Path file, DataInputStream in, int count, int[] dims, long available)
            throws IOException {
        if (count > available) {
            throw truncated(file, dims, count, available);
        }
        byte[] data = new byte[count];
        try {
            in.readFully(data);
        } catch (EOFException e) {
            throw DatasetErrorCode.bad(file, "truncated IDX file: it shrank while being read");
        }
        return data;
    }

    /**
     * A gzipped file's size says nothing about its content, so the values are read in chunks: memory
     * grows with the bytes actually there, not with what the header claims.
     */
    private static byte[] readCompressed(Path file, DataInputStream in, int count, int[] dims) throws IOException {
        byte[] data = in.readNBytes(count);
        if (data.length < count) {
            throw truncated(file, dims, count, data.length);
        }
        return data;
    }

    private static SouperException truncated(Path file, int[] dims, long count, long available) {
        return DatasetErrorCode.bad(file, "truncated IDX file: its header declares shape " + Arrays.toString(dims)
                + ", " + count + " values, but only " + Math.max(0, available) + " bytes follow the header");
    }

    /** Gzip is recognised by its magic number, not by the file name. */
    private static boolean isGzip(InputStream in) throws IOException {
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        return b0 == 0x1f && b1 == 0x8b;
    }
}
