package io.souper.registry;

/**
 * A schema registry refused or failed a request. {@link #errorCode()} is Confluent's error code
 * (e.g. 40401, 42201, 409) so callers and the REST layer agree on what went wrong; 0 when the
 * failure never reached a registry (see {@link RegistryUnavailableException}).
 */
public class SchemaRegistryException extends RuntimeException {
    private final int errorCode;

    public SchemaRegistryException(int errorCode, String message) {
        super(message);
        this.errorCode = errorCode;
    }

    public SchemaRegistryException(int errorCode, String message, Throwable cause) {
        super(message, cause);
        this.errorCode = errorCode;
    }

    /** Confluent's error code: 40401, 40402, 40403, 409, 42201, 42202, 42203, 50001... or 0. */
    public int errorCode() {
        return errorCode;
    }

    /** The HTTP status Confluent pairs with the error code: 40401 -> 404, 409 -> 409, 0 -> 500. */
    public int httpStatus() {
        if (errorCode >= 10000) {
            return errorCode / 100;
        }
        return errorCode >= 100 ? errorCode : 500;
    }

    /** Maps an error code (from a REST answer) to the most specific exception type. */
    public static SchemaRegistryException of(int errorCode, String message) {
        return switch (errorCode) {
            case SubjectNotFoundException.CODE -> new SubjectNotFoundException(message);
            case VersionNotFoundException.CODE -> new VersionNotFoundException(message);
            case SchemaNotFoundException.CODE -> new SchemaNotFoundException(message);
            case IncompatibleSchemaException.CODE -> new IncompatibleSchemaException(message);
            case InvalidSchemaException.CODE -> new InvalidSchemaException(message);
            case InvalidVersionException.CODE -> new InvalidVersionException(message);
            case InvalidCompatibilityLevelException.CODE -> new InvalidCompatibilityLevelException(message);
            default -> new SchemaRegistryException(errorCode, message);
        };
    }
}
