package io.souper.registry;

/** No schema with that id, or the schema is not registered under that subject. Confluent error code 40403. */
public class SchemaNotFoundException extends SchemaRegistryException {
    public static final int CODE = 40403;

    public SchemaNotFoundException(String message) {
        super(CODE, message);
    }
}
