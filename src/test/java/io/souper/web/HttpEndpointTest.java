package io.souper.web;

import io.souper.metrics.SouperMetrics;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

class HttpEndpointTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void servesPrometheusMetricsWithJvmMetersAndComponentMeters() throws Exception {
        try (SouperMetrics metrics = new SouperMetrics("test");
             HttpEndpoint endpoint = new HttpEndpoint("localhost", 0, metrics).start()) {
            metrics.registry().counter("souper.test.events").increment(3);
            HttpResponse<String> response = get(endpoint, "/metrics");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
            assertThat(response.body())
                    .contains("jvm_memory_used_bytes")
                    .contains("souper_test_events_total{application=\"souper\",role=\"test\"} 3.0");
        }
    }

    @Test
    void healthIsUpUntilTheProcessSaysOtherwise() throws Exception {
        try (SouperMetrics metrics = new SouperMetrics("test");
             HttpEndpoint endpoint = new HttpEndpoint("localhost", 0, metrics).start()) {
            for (String path : List.of("/health", "/health/live", "/health/ready")) {
                HttpResponse<String> response = get(endpoint, path);
                assertThat(response.statusCode()).as(path).isEqualTo(200);
                assertThat(response.body()).as(path).isEqualTo("{\"status\":\"UP\",\"reason\":\"up\"}");
            }
        }
    }

    @Test
    void readinessAndLivenessFollowTheSupplierAndNotReadyIs503WithTheReason() throws Exception {
        AtomicReference<Health> state = new AtomicReference<>(Health.notReady("souper streams CREATED: not started yet"));
        try (SouperMetrics metrics = new SouperMetrics("test");
             HttpEndpoint endpoint = new HttpEndpoint("localhost", 0, metrics).health(state::get).start()) {
            assertThat(get(endpoint, "/health/live").statusCode()).isEqualTo(200);
            HttpResponse<String> ready = get(endpoint, "/health/ready");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).isEqualTo(
                    "{\"status\":\"DOWN\",\"reason\":\"souper streams CREATED: not started yet\"}");
            assertThat(get(endpoint, "/health").statusCode()).as("/health is readiness").isEqualTo(503);

            state.set(Health.ready("souper streams RUNNING"));
            assertThat(get(endpoint, "/health/ready").statusCode()).isEqualTo(200);
            assertThat(get(endpoint, "/health").body()).contains("\"UP\"", "RUNNING");

            state.set(Health.dead("souper streams ERROR"));
            HttpResponse<String> live = get(endpoint, "/health/live");
            assertThat(live.statusCode()).isEqualTo(503);
            assertThat(live.body()).contains("ERROR");
            assertThat(get(endpoint, "/health/nonsense").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void metricsAndHealthRefuseWritesWith405() throws Exception {
        try (SouperMetrics metrics = new SouperMetrics("test");
             HttpEndpoint endpoint = new HttpEndpoint("localhost", 0, metrics).start()) {
            for (String path : List.of("/metrics", "/health", "/health/ready", "/health/live")) {
                for (String method : List.of("POST", "PUT", "DELETE")) {
                    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(endpoint.url() + path))
                            .method(method, HttpRequest.BodyPublishers.ofString("x")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(response.statusCode()).as(method + " " + path).isEqualTo(405);
                    assertThat(response.headers().firstValue("Allow")).hasValue("GET, HEAD");
                    assertThat(response.body()).contains(method + " is not allowed");
                }
            }
        }
    }

    @Test
    void clientsThatSendHalfARequestNeitherBlockTheApiNorHoldTheirConnection() throws Exception {
        try (SouperMetrics metrics = new SouperMetrics("test");
             HttpEndpoint endpoint = new HttpEndpoint("localhost", 0, metrics).start()) {
            List<Socket> stalled = new ArrayList<>();
            try {
                // More stalled clients than the old pool had threads, each holding a handler thread.
                for (int i = 0; i < 24; i++) {
                    Socket socket = new Socket("localhost", endpoint.port());
                    OutputStream out = socket.getOutputStream();
                    out.write("GET /metrics HTTP/1.1\r\nHost: localhost\r\nX-Half: ".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    stalled.add(socket);
                }
                long start = System.nanoTime();
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(endpoint.url() + "/health"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));

                // The server gives up on a request that does not arrive within its time limit.
                Socket first = stalled.get(0);
                first.setSoTimeout(30_000);
                long waitStart = System.nanoTime();
                InputStream in = first.getInputStream();
                int read;
                try {
                    read = in.read();
                } catch (java.net.SocketException reset) {
                    read = -1;
                }
                assertThat(read).as("the stalled connection is closed, not answered").isEqualTo(-1);
                long limit = Long.parseLong(System.getProperty(HttpEndpoint.REQUEST_TIMEOUT_PROPERTY));
                assertThat(Duration.ofNanos(System.nanoTime() - waitStart)).isLessThan(Duration.ofSeconds(limit + 5));
            } finally {
                for (Socket s : stalled) {
                    s.close();
                }
            }
        }
    }

    private HttpResponse<String> get(HttpEndpoint endpoint, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(endpoint.url() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
