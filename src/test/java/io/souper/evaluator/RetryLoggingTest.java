package io.souper.evaluator;

import ch.qos.logback.classic.Level;
import io.souper.checkpoint.CheckpointErrorCode;
import io.souper.errors.SouperException;
import io.souper.registry.RegistryUnavailableException;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** An outage is two log lines, one when the dependency goes and one when it is back, however many retries. */
class RetryLoggingTest {

    private final Retry retry = new Retry(() -> true, Duration.ofMillis(1), Duration.ofMillis(2));

    @Test
    void aRegistryOutageIsOneLineWhenItGoesAndOneWhenItIsBack() {
        try (LogLines log = new LogLines(Retry.class)) {
            AtomicInteger attempts = new AtomicInteger();
            assertThat(retry.call("decoding r", () -> {
                if (attempts.incrementAndGet() <= 20) {
                    throw new SerializationException("schema 9", new RegistryUnavailableException("down", null));
                }
                return 1;
            })).contains(1);
            assertThat(log.matching(Level.WARN, "")).containsExactly(log.matching(Level.WARN,
                    "decoding r: schema registry unreachable (").get(0));
            assertThat(log.matching(Level.INFO, "")).singleElement().asString()
                    .startsWith("decoding r: schema registry back after 20 failed attempts in ");
            assertThat(log.matching(Level.DEBUG, "failed")).hasSize(19);
        }
    }

    @Test
    void aStoreOutageSaysStore() {
        try (LogLines log = new LogLines(Retry.class)) {
            AtomicInteger attempts = new AtomicInteger();
            retry.call("evaluating c", () -> {
                if (attempts.incrementAndGet() <= 3) {
                    throw new SouperException(CheckpointErrorCode.IO_ERROR, "the store root /v is not there");
                }
                return 1;
            });
            assertThat(log.matching(Level.WARN, "evaluating c: store unreachable (")).hasSize(1);
            assertThat(log.matching(Level.INFO, "evaluating c: store back after 3 failed attempts")).hasSize(1);
        }
    }
}
