package io.souper.evaluator;

import io.souper.registry.RegistryUnavailableException;

/**
 * Tells a passing schema-registry outage from a truly unreadable record: both surface as a
 * SerializationException, but only the second belongs on the dead-letter topic.
 */
final class RegistryOutage {

    private RegistryOutage() {
    }

    static boolean causedBy(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof RegistryUnavailableException) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }
}
