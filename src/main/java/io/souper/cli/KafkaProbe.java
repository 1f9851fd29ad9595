package io.souper.cli;

import io.souper.kafka.KafkaClientConfigs;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Asks the cluster for its nodes with short timeouts before a command does real work. Without it a
 * producer or consumer facing a dead broker retries for a minute, logs pages of warnings and finally
 * blames the topic ("not present in metadata").
 */
final class KafkaProbe {

    private KafkaProbe() {
    }

    /** Returns when the cluster answered; otherwise throws with one line that says why. */
    static void check(KafkaClientConfigs clients, Duration timeout) {
        int ms = (int) timeout.toMillis();
        Map<String, Object> config = clients.admin();
        config.put(CommonClientConfigs.CLIENT_ID_CONFIG, "souper-probe");
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, ms);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms);
        config.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, Math.min(ms, 2_000));
        config.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, Math.min(ms, 4_000));
        config.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000);
        String where = clients.bootstrapServers();
        Admin admin;
        try {
            admin = Admin.create(config);
        } catch (KafkaException e) {
            throw new IllegalStateException("cannot reach Kafka at " + where + ": " + rootMessage(e), e);
        }
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs(ms)).nodes().get(ms + 2_000L, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw failure(where, e.getCause(), timeout);
        } catch (TimeoutException e) {
            throw failure(where, e, timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reaching Kafka at " + where, e);
        } finally {
            admin.close(Duration.ofMillis(500));
        }
    }

    private static IllegalStateException failure(String where, Throwable cause, Duration timeout) {
        if (cause instanceof AuthenticationException) {
            return new IllegalStateException("Kafka at " + where + " refused the credentials: " + rootMessage(cause)
                    + " (check --kafka-config and SOUPER_KAFKA_*)", cause);
        }
        if (cause instanceof AuthorizationException) {
            return new IllegalStateException("Kafka at " + where + " denied access: " + rootMessage(cause), cause);
        }
        if (cause instanceof TimeoutException || cause instanceof org.apache.kafka.common.errors.TimeoutException) {
            return new IllegalStateException("cannot reach Kafka at " + where + " (no answer within "
                    + timeout.toSeconds() + " s; is the broker running, and is this its advertised address?)", cause);
        }
        return new IllegalStateException("cannot reach Kafka at " + where + ": " + rootMessage(cause), cause);
    }

    private static String rootMessage(Throwable error) {
        Throwable t = error;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String message = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
        return message.lines().findFirst().orElse(message);
    }
}
