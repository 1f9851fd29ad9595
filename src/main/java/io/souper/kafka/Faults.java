package io.souper.kafka;

import io.souper.errors.SouperException;
import io.souper.registry.RegistryUnavailableException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeoutException;

/**
 * The one rule every consumer uses to decide what a failure means (after bakdata's
 * streams-bootstrap, whose error handlers take a predicate for what is recoverable):
 *
 * <ul>
 *   <li>{@link Fault#WORLD}: the world's fault (schema registry or broker unreachable, a timeout,
 *       a store that does not answer). The record is fine: retry it, or fail the Kafka Streams
 *       task so it is retried. Never dead-lettered.</li>
 *   <li>{@link Fault#RECORD}: the record's fault (unreadable bytes, an invalid event, input the
 *       soup core refuses, a checkpoint that cannot be scored). Dead-letter it with its bytes and
 *       a reason, and move on.</li>
 *   <li>{@link Fault#BUG}: anything else ({@code NullPointerException}, {@code IllegalStateException},
 *       an {@code Error}). A bug must fail loudly, never be hidden as a dead letter.</li>
 * </ul>
 */
public final class Faults {

    /** Whose fault a failure is. */
    public enum Fault { WORLD, RECORD, BUG }

    private Faults() {
    }

    public static Fault classify(Throwable error) {
        if (error instanceof SouperException coded) {
            // the layer that threw knows best: its code says whether trying again may help
            return coded.retriable() ? Fault.WORLD : Fault.RECORD;
        }
        if (error instanceof RecordFaultException) {
            return Fault.RECORD;
        }
        if (causedByOutage(error)) {
            return Fault.WORLD;
        }
        if (error instanceof SerializationException) {
            // any other decoding failure (truncated bytes, bad magic, unknown schema) is the record's
            return Fault.RECORD;
        }
        if (error instanceof IOException || error instanceof UncheckedIOException) {
            return Fault.WORLD;
        }
        return Fault.BUG;
    }

    /** True when retrying may succeed. */
    public static boolean isWorld(Throwable error) {
        return classify(error) == Fault.WORLD;
    }

    /** A registry, broker or timeout anywhere in the cause chain: what a decoder wraps is still an outage. */
    private static boolean causedByOutage(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof RegistryUnavailableException || t instanceof RetriableException
                    || t instanceof TimeoutException) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /** True when the record must go to the dead-letter topic. */
    public static boolean isRecordFault(Throwable error) {
        return classify(error) == Fault.RECORD;
    }

    /**
     * Marks a failure as the record's fault when it has no type of its own that says so (an
     * adapter's validation of an event). The message is the dead letter's message.
     */
    public static class RecordFaultException extends RuntimeException {
        private final String reasonCode;

        public RecordFaultException(String reasonCode, String message) {
            this(reasonCode, message, null);
        }

        public RecordFaultException(String reasonCode, String message, Throwable cause) {
            super(message, cause);
            this.reasonCode = reasonCode;
        }

        public String reasonCode() {
            return reasonCode;
        }
    }
}
