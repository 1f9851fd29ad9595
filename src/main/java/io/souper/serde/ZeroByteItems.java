package io.souper.serde;

import java.util.HashSet;
import java.util.Set;
import org.apache.avro.Schema;

/**
 * Whether a schema has an array or map whose items can encode to zero bytes (null, an empty record,
 * a zero-size fixed). Only then may a valid record announce more items than it has bytes left, so
 * only then does {@link BoundedBinaryDecoder} bound item counts by its cap alone.
 */
final class ZeroByteItems {
    private ZeroByteItems() {
    }

    static boolean in(Schema schema) {
        return hasZeroByteItems(schema, new HashSet<>());
    }

    private static boolean hasZeroByteItems(Schema schema, Set<Schema> seen) {
        if (!seen.add(schema)) {
            return false; // a recursive reference: already being looked at
        }
        return switch (schema.getType()) {
            case ARRAY -> encodesEmpty(schema.getElementType(), new HashSet<>())
                    || hasZeroByteItems(schema.getElementType(), seen);
            case MAP -> hasZeroByteItems(schema.getValueType(), seen); // every entry has a key: at least 1 byte
            case RECORD -> schema.getFields().stream().anyMatch(f -> hasZeroByteItems(f.schema(), seen));
            case UNION -> schema.getTypes().stream().anyMatch(t -> hasZeroByteItems(t, seen));
            default -> false;
        };
    }

    /** True when a value of {@code schema} may take no bytes at all. */
    private static boolean encodesEmpty(Schema schema, Set<Schema> seen) {
        if (!seen.add(schema)) {
            return false; // a record containing itself without a union or collection cannot be written
        }
        return switch (schema.getType()) {
            case NULL -> true;
            case FIXED -> schema.getFixedSize() == 0;
            case RECORD -> schema.getFields().stream().allMatch(f -> encodesEmpty(f.schema(), seen));
            default -> false; // numbers, strings, bytes, enums, unions, collections: at least one byte
        };
    }
}
