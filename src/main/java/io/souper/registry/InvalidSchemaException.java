package io.souper.registry;

/** The schema text is not a valid (self-contained) Avro schema. Confluent error code 42201. */
public class InvalidSchemaException extends SchemaRegistryException {
    public static final int CODE = 42201;

    public InvalidSchemaException(String message) {
        super(CODE, message);
    }
}
