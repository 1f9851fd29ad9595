package io.souper.data;

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
            DataInputStream in = new DataInputStream(maybeGunzip(raw));
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
            byte[] data = new byte[(int) count];
            in.readFully(data);
            if (in.read() != -1) {
                throw DatasetErrorCode.bad(file, "trailing bytes after " + count + " values of shape "
                        + Arrays.toString(dims));
            }
            return new IdxFile(file, dims, data);
        } catch (EOFException e) {
            throw DatasetErrorCode.bad(file, "truncated IDX file");
        } catch (IOException e) {
            throw DatasetErrorCode.io(file, e);
        }
    }

    private static InputStream maybeGunzip(InputStream in) throws IOException {
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        boolean gzip = b0 == 0x1f && b1 == 0x8b;
        return gzip ? new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16) : in;
    }
}
