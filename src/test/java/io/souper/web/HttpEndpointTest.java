package io.souper.web;

import io.souper.metrics.SouperMetrics;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

class HttpEndpointTest {

    @Test
    void servesPrometheusMetricsWithJvmMetersAndComponentMeters() throws Exception {
        try (SouperMetrics metrics = new SouperMetrics("test");
             HttpEndpoint endpoint = new HttpEndpoint("localhost", 0, metrics).start()) {
            metrics.registry().counter("souper.test.events").increment(3);
            HttpResponse<String> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(endpoint.url() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
            assertThat(response.body())
                    .contains("jvm_memory_used_bytes")
                    .contains("souper_test_events_total{application=\"souper\",role=\"test\"} 3.0");
        }
    }

    @Test
    void healthAnswersUp() throws Exception {
        try (SouperMetrics metrics = new SouperMetrics("test");
             HttpEndpoint endpoint = new HttpEndpoint("localhost", 0, metrics).start()) {
            HttpResponse<String> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(endpoint.url() + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.body()).isEqualTo("{\"status\":\"UP\"}");
        }
    }
}
