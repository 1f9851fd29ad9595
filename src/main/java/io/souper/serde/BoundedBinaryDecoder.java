package io.souper.serde;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.io.Decoder;
import org.apache.avro.util.Utf8;

/**
 * Avro binary decoding of one in-memory payload that never allocates more than the payload allows.
 *
 * <p>Why not Avro's {@code BinaryDecoder}: in Avro 1.12.1 it allocates a string or byte array of the
 * claimed length before it reads a byte of it (a 14-byte record claiming a 1.9 GB string allocates
 * 1.9 GB), sizes arrays and maps by their claimed item count (a claimed 2^31 items allocates gigabytes),
 * and its only limits are JVM-wide system properties read once. Here every claimed length is checked
 * against the bytes that remain and against {@link DecodingLimits} before anything is allocated.
 *
 * <p>Item counts: each array item or map entry of a schema whose items cannot encode to zero bytes
 * (every Souper schema) consumes at least one byte, so a block claiming more items than bytes remain
 * is a lie. Schemas with zero-byte items (arrays of null, of empty records) are bounded by the
 * collection cap alone.
 */
final class BoundedBinaryDecoder extends Decoder {
    private final byte[] data;
    private final int end;
    private final DecodingLimits limits;
    private final boolean zeroByteItems;
    private int pos;
    /** Array items and map entries announced so far in this payload, checked against the cap. */
    private long items;

    /**
     * Reads {@code data[offset, offset + length)}. {@code zeroByteItems}: the writer schema has a
     * collection whose items may take no bytes, so item counts cannot be checked against the bytes left.
     */
    BoundedBinaryDecoder(byte[] data, int offset, int length, DecodingLimits limits, boolean zeroByteItems) {
        if (offset < 0 || length < 0 || offset + length > data.length) {
            throw new IllegalArgumentException("range [" + offset + ", " + offset + "+" + length
                    + ") outside a payload of " + data.length + " bytes");
        }
        this.data = data;
        this.pos = offset;
        this.end = offset + length;
        this.limits = limits;
        this.zeroByteItems = zeroByteItems;
    }

    /** True when every byte has been consumed. */
    boolean isEnd() {
        return pos == end;
    }

    /** Bytes not yet read. */
    int remaining() {
        return end - pos;
    }

    @Override
    public void readNull() {
        // null takes no bytes
    }

    @Override
    public boolean readBoolean() throws IOException {
        require(1, "a boolean");
        return data[pos++] == 1; // as Avro's BinaryDecoder: anything but 1 is false
    }

    @Override
    public int readInt() throws IOException {
        int start = pos;
        int unsigned = 0;
        for (int shift = 0; shift < 32; shift += 7) {
            require(1, "an int");
            int b = data[pos++] & 0xff;
            unsigned |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return (unsigned >>> 1) ^ -(unsigned & 1);
            }
        }
        throw new AvroRuntimeException("Invalid int encoding at byte " + start + ": more than 5 varint bytes");
    }

    @Override
    public long readLong() throws IOException {
        int start = pos;
        long unsigned = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            require(1, "a long");
            long b = data[pos++] & 0xff;
            unsigned |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return (unsigned >>> 1) ^ -(unsigned & 1);
            }
        }
        throw new AvroRuntimeException("Invalid long encoding at byte " + start + ": more than 10 varint bytes");
    }

    @Override
    public float readFloat() throws IOException {
        require(4, "a float");
        int bits = littleEndian(4);
        return Float.intBitsToFloat(bits);
    }

    @Override
    public double readDouble() throws IOException {
        require(8, "a double");
        long low = littleEndian(4) & 0xffffffffL;
        long high = littleEndian(4) & 0xffffffffL;
        return Double.longBitsToDouble(high << 32 | low);
    }

    @Override
    public Utf8 readString(Utf8 old) throws IOException {
        int length = length("string", limits.maxStringBytes(), AvroSerdeConfig.MAX_STRING_BYTES);
        Utf8 result = old != null ? old : new Utf8();
        result.setByteLength(length);
        System.arraycopy(data, pos, result.getBytes(), 0, length);
        pos += length;
        return result;
    }

    @Override
    public String readString() throws IOException {
        int length = length("string", limits.maxStringBytes(), AvroSerdeConfig.MAX_STRING_BYTES);
        String result = new String(data, pos, length, StandardCharsets.UTF_8);
        pos += length;
        return result;
    }

    @Override
    public void skipString() throws IOException {
        int length = length("string", limits.maxStringBytes(), AvroSerdeConfig.MAX_STRING_BYTES);
        pos += length; // not "pos += length(...)": Java would read pos before length() moves it
    }

    @Override
    public ByteBuffer readBytes(ByteBuffer old) throws IOException {
        int length = length("bytes value", limits.maxBytesLength(), AvroSerdeConfig.MAX_BYTES_LENGTH);
        ByteBuffer result = ByteBuffer.wrap(Arrays.copyOfRange(data, pos, pos + length));
        pos += length;
        return result;
    }

    @Override
    public void skipBytes() throws IOException {
        int length = length("bytes value", limits.maxBytesLength(), AvroSerdeConfig.MAX_BYTES_LENGTH);
        pos += length;
    }

    @Override
    public void readFixed(byte[] bytes, int start, int length) throws IOException {
        require(length, "a fixed of " + length + " bytes");
        System.arraycopy(data, pos, bytes, start, length);
        pos += length;
    }

    @Override
    public void skipFixed(int length) throws IOException {
        require(length, "a fixed of " + length + " bytes");
        pos += length;
    }

    @Override
    public int readEnum() throws IOException {
        return readInt();
    }

    @Override
    public long readArrayStart() throws IOException {
        return itemCount("array");
    }

    @Override
    public long arrayNext() throws IOException {
        return itemCount("array");
    }

    @Override
    public long skipArray() throws IOException {
        return skipItems("array");
    }

    @Override
    public long readMapStart() throws IOException {
        return itemCount("map");
    }

    @Override
    public long mapNext() throws IOException {
        return itemCount("map");
    }

    @Override
    public long skipMap() throws IOException {
        return skipItems("map");
    }

    @Override
    public int readIndex() throws IOException {
        return readInt();
    }

    /** The item count of the next block; a negative count is followed by the block's size in bytes. */
    private long itemCount(String kind) throws IOException {
        int at = pos;
        long count = readLong();
        if (count < 0) {
            if (count == Long.MIN_VALUE) {
                throw new AvroRuntimeException("Malformed " + kind + " block at byte " + at + ": item count "
                        + count);
            }
            count = -count;
            long size = readLong();
            if (size < 0 || size > remaining()) {
                throw eof(kind + " block at byte " + at + " claims " + size + " bytes");
            }
        }
        return checkedItems(kind, at, count);
    }

    /** Skips whole blocks whose size in bytes is known; returns the count of the next block to skip item by item. */
    private long skipItems(String kind) throws IOException {
        while (true) {
            int at = pos;
            long count = readLong();
            if (count >= 0) {
                return checkedItems(kind, at, count);
            }
            long size = readLong();
            if (count == Long.MIN_VALUE || size < 0 || size > remaining()) {
                throw eof(kind + " block at byte " + at + " claims " + size + " bytes");
            }
            pos += (int) size;
        }
    }

    private long checkedItems(String kind, int at, long count) throws IOException {
        if (!zeroByteItems && count > remaining()) {
            throw eof(kind + " block at byte " + at + " claims " + count + " items, each at least one byte");
        }
        if (count > limits.maxCollectionItems() - items) {
            throw new DecodingLimitException(kind + " block at byte " + at + " claims " + count + " items, "
                    + items + " already read: more than the " + limits.maxCollectionItems()
                    + " array items and map entries one record may hold ("
                    + AvroSerdeConfig.MAX_COLLECTION_ITEMS + ")");
        }
        items += count;
        return count;
    }

    /** A length prefix, checked against the bytes left and {@code cap} before the caller allocates. */
    private int length(String kind, int cap, String setting) throws IOException {
        int at = pos;
        long length = readLong();
        if (length < 0) {
            throw new AvroRuntimeException("Malformed " + kind + " at byte " + at + ": negative length " + length);
        }
        if (length > remaining()) {
            throw eof(kind + " at byte " + at + " claims " + length + " bytes");
        }
        if (length > cap) {
            throw new DecodingLimitException(kind + " at byte " + at + " has " + length + " bytes: more than the"
                    + " configured maximum of " + cap + " (" + setting + ")");
        }
        return (int) length;
    }

    private void require(int bytes, String what) throws EOFException {
        if (bytes > remaining()) {
            throw eof(what + " at byte " + pos + " needs " + bytes + " bytes");
        }
    }

    private EOFException eof(String claim) {
        return new EOFException(claim + " but only " + remaining() + " remain");
    }

    private int littleEndian(int bytes) {
        int value = 0;
        for (int i = 0; i < bytes; i++) {
            value |= (data[pos++] & 0xff) << (8 * i);
        }
        return value;
    }
}
