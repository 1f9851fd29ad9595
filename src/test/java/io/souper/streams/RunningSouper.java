package io.souper.streams;

import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.metrics.SouperMetrics;
import io.souper.web.HttpEndpoint;
import io.souper.web.SoupApi;
import io.souper.web.SoupApiClient;
import org.apache.kafka.common.Metric;
import org.apache.kafka.streams.state.HostInfo;

import java.nio.file.Path;
import java.time.Duration;

/** One souper instance with its HTTP API, as `souper streams` runs it, for the integration tests. */
final class RunningSouper implements AutoCloseable {
    private final SouperMetrics metrics = new SouperMetrics("streams");
    private final HttpEndpoint endpoint = new HttpEndpoint("localhost", 0, metrics).start();
    private final SouperStreamsApp app;
    private final SoupApiClient api = new SoupApiClient(endpoint.url());

    RunningSouper(KafkaClientConfigs clients, SouperTopics topics, String applicationId, Path state)
            throws InterruptedException {
        this(clients, topics, applicationId, state, SouperStreamsSettings.defaults());
    }

    RunningSouper(KafkaClientConfigs clients, SouperTopics topics, String applicationId, Path state,
                  SouperStreamsSettings settings) throws InterruptedException {
        app = SouperStreamsApp.start(clients, topics, applicationId, state, 1, settings,
                metrics, new HostInfo("localhost", endpoint.port()));
        new SoupApi(app.queries()).register(endpoint);
        app.awaitRunning(Duration.ofSeconds(60));
    }

    /** Where the API answers. */
    String url() {
        return endpoint.url();
    }

    SouperStreamsApp app() {
        return app;
    }

    /** Waits until the soup has taken all {@code checkpoints} and has nothing in flight. */
    void awaitSettled(String soupId, int checkpoints, Duration timeout) throws InterruptedException {
        api.awaitSettled(soupId, checkpoints, timeout);
    }
    /** How many stream threads have died since the start (each was replaced): Kafka Streams' own count. */
    int failedStreamThreads() {
        for (Metric metric : app.streams().metrics().values()) {
            if (metric.metricName().name().equals("failed-stream-threads")) {
                return ((Number) metric.metricValue()).intValue();
            }
        }
        throw new AssertionError("Kafka Streams reports no failed-stream-threads metric");
    }

    /**
     * Stops like a killed process as far as the group sees it: no leave-group request, so the
     * members stay until their session expires (the stores are still closed, unlike a SIGKILL).
     */
    void crash() {
        app.streams().close(org.apache.kafka.streams.CloseOptions.groupMembershipOperation(
                org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP)
                .withTimeout(Duration.ofSeconds(30)));
        endpoint.close();
        metrics.close();
    }

    @Override
    public void close() {
        app.close();
        endpoint.close();
        metrics.close();
    }
}
