package io.souper.registry;

/** The subject does not exist in the registry. Confluent error code 40401. */
public class SubjectNotFoundException extends SchemaRegistryException {
    public static final int CODE = 40401;

    public SubjectNotFoundException(String message) {
        super(CODE, message);
    }
}
