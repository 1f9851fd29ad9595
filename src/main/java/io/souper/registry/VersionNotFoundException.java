package io.souper.registry;

/** The subject exists but has no such version. Confluent error code 40402. */
public class VersionNotFoundException extends SchemaRegistryException {
    public static final int CODE = 40402;

    public VersionNotFoundException(String message) {
        super(CODE, message);
    }
}
