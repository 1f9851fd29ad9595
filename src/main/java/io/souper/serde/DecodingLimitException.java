package io.souper.serde;

import org.apache.avro.AvroRuntimeException;

/** A record claims more than {@link DecodingLimits} allow (a string, bytes or collection too large). */
public class DecodingLimitException extends AvroRuntimeException {
    public DecodingLimitException(String message) {
        super(message);
    }
}
