package io.souper.registry;

/** A version id that is neither a positive integer nor "latest". Confluent error code 42202. */
public class InvalidVersionException extends SchemaRegistryException {
    public static final int CODE = 42202;

    public InvalidVersionException(String message) {
        super(CODE, message);
    }
}
