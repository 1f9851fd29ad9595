package io.souper.evaluator;

import io.souper.checkpoint.CheckpointErrorCode;
import io.souper.errors.SouperException;
import io.souper.registry.RegistryUnavailableException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The evaluator's one retry loop: the world's failures are retried, anything else is the caller's. */
class RetryTest {

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Retry retry = new Retry(running::get, Duration.ofMillis(1), Duration.ofMillis(4));

    @Test
    void anOutageIsRetriedUntilItPasses() {
        AtomicInteger attempts = new AtomicInteger();
        var value = retry.call("decoding", () -> {
            if (attempts.incrementAndGet() < 4) {
                throw new SerializationException("schema 7", new RegistryUnavailableException("down", null));
            }
            return "decoded";
        });
        assertThat(value).contains("decoded");
        assertThat(attempts).hasValue(4);
    }

    @Test
    void aFailedKafkaFutureIsJudgedByItsCause() {
        AtomicInteger attempts = new AtomicInteger();
        var value = retry.call("sending", () -> {
            if (attempts.incrementAndGet() < 2) {
                throw new ExecutionException(new TimeoutException("broker away"));
            }
            return true;
        });
        assertThat(value).contains(true);
        assertThatThrownBy(() -> retry.call("sending", () -> {
            throw new ExecutionException(new IllegalStateException("a bug"));
        })).isInstanceOf(IllegalStateException.class).hasMessage("a bug");
    }

    @Test
    void theRecordsFaultsAndBugsAreThrownAtOnce() {
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(() -> retry.call("scoring", () -> {
            attempts.incrementAndGet();
            throw new SouperException(CheckpointErrorCode.SHAPE_MISMATCH, "w");
        })).isInstanceOf(SouperException.class);
        assertThatThrownBy(() -> retry.call("decoding", () -> {
            attempts.incrementAndGet();
            throw new SerializationException("unknown magic byte");
        })).isInstanceOf(SerializationException.class);
        assertThat(attempts).as("no second attempt").hasValue(2);
    }

    @Test
    void aStoppedServiceEndsTheWaitWithNothing() {
        AtomicInteger attempts = new AtomicInteger();
        var value = retry.call("scoring", () -> {
            if (attempts.incrementAndGet() == 3) {
                running.set(false);
            }
            throw new SouperException(CheckpointErrorCode.IO_ERROR, "stale NFS handle");
        });
        assertThat(value).isEmpty();
        assertThat(attempts).hasValue(3);
    }
}
