package io.souper.serde;

import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Confluent's framing of a serialized value: byte 0x00 (magic), the schema id as a 4-byte big-endian
 * int, then the Avro binary encoding of the value with that schema.
 */
public final class WireFormat {
    public static final byte MAGIC_BYTE = 0x00;
    public static final int HEADER_SIZE = 5;

    private WireFormat() {}

    /** The 5-byte header for {@code schemaId}. */
    public static byte[] header(int schemaId) {
        return ByteBuffer.allocate(HEADER_SIZE).put(MAGIC_BYTE).putInt(schemaId).array();
    }

    /** The schema id of a framed payload; a payload too short or with another magic byte is refused. */
    public static int schemaId(byte[] payload, String topic) {
        if (payload.length < HEADER_SIZE) {
            throw new SerializationException("Truncated payload on topic " + topic + ": " + payload.length
                    + " bytes, but the Confluent wire format needs at least " + HEADER_SIZE
                    + " (magic byte 0x00 + 4-byte schema id)");
        }
        if (payload[0] != MAGIC_BYTE) {
            throw new SerializationException(String.format("Unknown magic byte 0x%02x on topic %s: expected 0x00"
                    + " (Confluent wire format); the value was not written by a schema-registry Avro serializer",
                    payload[0] & 0xff, topic));
        }
        return ByteBuffer.wrap(payload, 1, 4).getInt();
    }
}
