package io.souper.evaluator;

import io.souper.errors.SouperException;
import io.souper.kafka.Faults;
import io.souper.registry.RegistryUnavailableException;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;

/**
 * The evaluator's one retry loop: an attempt that fails for the world's reasons (schema registry
 * or broker unreachable, a timeout, a retriable I/O error; see {@link Faults}) is tried again
 * with exponential backoff for as long as the service runs. Any other failure is the caller's to
 * handle and is thrown at once. Logs once when an action starts failing ("... unreachable") and once
 * when it recovers ("... back"), not at every attempt, so an outage of an hour is two lines, not thousands.
 */
final class Retry {

    private static final Logger LOG = LoggerFactory.getLogger(Retry.class);
    static final Duration FIRST_BACKOFF = Duration.ofMillis(500);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    /** Granularity of the sleep: how soon a stopping service is noticed. */
    private static final long WAKE_MS = 100;

    /** Something to try; may throw anything, including the checked failures of a Kafka future. */
    interface Attempt<T> {
        T run() throws Exception;
    }

    private final BooleanSupplier running;
    private final Duration first;
    private final Duration max;

    Retry(BooleanSupplier running) {
        this(running, FIRST_BACKOFF, MAX_BACKOFF);
    }

    Retry(BooleanSupplier running, Duration first, Duration max) {
        this.running = running;
        this.first = first;
        this.max = max;
    }

    /**
     * Runs {@code attempt} until it succeeds (its value), or the service stops or the thread is
     * interrupted first (empty). A failure that is not the world's is thrown unchanged (a checked
     * one, or the cause of an ExecutionException, wrapped only if it is not unchecked).
     */
    <T> Optional<T> call(String what, Attempt<T> attempt) {
        Duration backoff = first;
        int failures = 0;
        String unavailable = null;
        long since = 0;
        while (true) {
            try {
                T value = attempt.run();
                if (failures > 0) {
                    LOG.info("{}: {} back after {} failed attempts in {} s", what, unavailable, failures,
                            (System.nanoTime() - since) / 1_000_000_000);
                }
                return Optional.of(value);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            } catch (Exception e) {
                Throwable failure = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
                if (!Faults.isWorld(failure)) {
                    throw failure instanceof RuntimeException r ? r : new IllegalStateException(what + " failed", failure);
                }
                if (failures++ == 0) {
                    unavailable = dependency(failure);
                    since = System.nanoTime();
                    LOG.warn("{}: {} unreachable ({}); retrying with backoff up to {} until it is back or the service "
                            + "stops", what, unavailable, failure, max);
                } else {
                    LOG.debug("{}: attempt {} failed: {}", what, failures, failure.toString());
                }
            }
            if (!sleep(backoff)) {
                return Optional.empty();
            }
            backoff = backoff.multipliedBy(2).compareTo(max) > 0 ? max : backoff.multipliedBy(2);
        }
    }

    /**
     * What the world failure is about, for the log line only (whose fault it is, {@link Faults} says):
     * the schema registry, the store (a retriable coded I/O error: an unmounted root, a file that
     * changed while read), Kafka (a retriable client error), or else whatever timed out.
     */
    private static String dependency(Throwable failure) {
        for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof RegistryUnavailableException) {
                return "schema registry";
            }
            if (t instanceof SouperException coded && coded.code().name().equals("IO_ERROR")) {
                return "store";
            }
            if (t instanceof RetriableException) {
                return "Kafka";
            }
        }
        return "dependency";
    }

    /** False if the service stopped (or the thread was interrupted) while waiting. */
    private boolean sleep(Duration duration) {
        long deadline = System.nanoTime() + duration.toNanos();
        try {
            while (running.getAsBoolean() && System.nanoTime() < deadline) {
                Thread.sleep(Math.min(WAKE_MS, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return running.getAsBoolean();
    }
}
