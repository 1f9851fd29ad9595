package io.souper.registry;

/** The registry could not be reached (connection refused, DNS, timeout). The message names the URL. */
public class RegistryUnavailableException extends SchemaRegistryException {
    public RegistryUnavailableException(String message, Throwable cause) {
        super(0, message, cause);
    }
}
