package io.souper.registry;

/** A compatibility level name that is not one of {@link CompatibilityLevel}. Confluent error code 42203. */
public class InvalidCompatibilityLevelException extends SchemaRegistryException {
    public static final int CODE = 42203;

    public InvalidCompatibilityLevelException(String message) {
        super(CODE, message);
    }
}
