package io.souper.serde;

/**
 * The most one record may claim, on top of the rule that no claimed length may exceed the bytes
 * that remain. Values come from {@link AvroSerdeConfig} (where the defaults are), so a deployment
 * whose events legitimately carry large strings can raise them per client.
 *
 * @param maxStringBytes most bytes in one string
 * @param maxBytesLength most bytes in one {@code bytes} value
 * @param maxCollectionItems most array items and map entries in one record, all collections together
 */
public record DecodingLimits(int maxStringBytes, int maxBytesLength, long maxCollectionItems) {

    public DecodingLimits {
        if (maxStringBytes < 0 || maxBytesLength < 0 || maxCollectionItems < 0) {
            throw new IllegalArgumentException("decoding limits cannot be negative: " + maxStringBytes + ", "
                    + maxBytesLength + ", " + maxCollectionItems);
        }
    }

    /** The limits of a serde configured with nothing. */
    public static DecodingLimits defaults() {
        return new AvroSerdeConfig(java.util.Map.of()).decodingLimits();
    }
}
