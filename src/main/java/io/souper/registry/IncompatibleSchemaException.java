package io.souper.registry;

/** Registering the schema would break the subject's compatibility level. Confluent error code 409. */
public class IncompatibleSchemaException extends SchemaRegistryException {
    public static final int CODE = 409;

    public IncompatibleSchemaException(String message) {
        super(CODE, message);
    }
}
