package io.souper.streams;

import com.fasterxml.jackson.databind.JsonNode;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.metrics.SouperMetrics;
import io.souper.web.HttpEndpoint;
import io.souper.web.Json;
import org.apache.kafka.common.Metric;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

/** One souper instance with its HTTP API, as `souper streams` runs it, for the integration tests. */
final class RunningSouper implements AutoCloseable {
    private final SouperMetrics metrics = new SouperMetrics("streams");
    private final HttpEndpoint endpoint = new HttpEndpoint("localhost", 0, metrics).start();
    private final SouperStreamsApp app;
    private final HttpClient http = HttpClient.newHttpClient();

    RunningSouper(KafkaClientConfigs clients, SouperTopics topics, String applicationId, Path state)
            throws InterruptedException {
        app = SouperStreamsApp.start(clients.bootstrapServers(), topics, applicationId, state, 1,
                SouperStreamsSettings.defaults(), metrics, endpoint, "localhost");
        app.awaitRunning(Duration.ofSeconds(60));
    }

    /** Waits until the soup has taken all {@code checkpoints} and has nothing in flight. */
    void awaitSettled(String soupId, int checkpoints, Duration timeout) throws Exception {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        JsonNode last = null;
        while (System.currentTimeMillis() < deadline) {
            HttpResponse<String> r;
            try {
                r = http.send(HttpRequest.newBuilder(URI.create(endpoint.url() + "/soups/" + soupId)).build(),
                        HttpResponse.BodyHandlers.ofString());
            } catch (IOException dropped) {
                // while a stream thread is being replaced the endpoint may drop the connection: ask again
                Thread.sleep(50);
                continue;
            }
            if (r.statusCode() == 200) {
                last = Json.MAPPER.readTree(r.body());
                JsonNode counts = last.get("counts");
                if (last.get("inFlight").isNull()
                        && counts.get("scored").asInt() + counts.get("failed").asInt() == checkpoints
                        && counts.get("pending").asInt() == 0) {
                    return;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("soup " + soupId + " did not settle on " + checkpoints + " checkpoints: " + last);
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
