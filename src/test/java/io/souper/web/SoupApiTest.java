package io.souper.web;

import io.souper.metrics.SouperMetrics;
import io.souper.streams.SoupQueries;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SoupApiTest {

    @TempDir
    Path state;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void whileStreamsAreStartingEveryQueryAnswers503WithTheReasonNot500() throws Exception {
        Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, "soup-api-test");
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:1");
        config.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream("anything");
        try (KafkaStreams notStarted = new KafkaStreams(builder.build(), config);
             SouperMetrics metrics = new SouperMetrics("test");
             HttpEndpoint endpoint = new HttpEndpoint("localhost", 0, metrics).start()) {
            new SoupApi(new SoupQueries(notStarted, new HostInfo("localhost", endpoint.port()))).register(endpoint);
            for (String path : List.of("/soups", "/soups/a", "/soups/a/decisions")) {
                HttpResponse<String> response = get(endpoint.url() + path);
                assertThat(response.statusCode()).as(path).isEqualTo(503);
                assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
                assertThat(response.body()).as(path).startsWith("{\"error\":").contains("CREATED");
            }
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(endpoint.url() + "/soups"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);
            assertThatThrownBy(() -> new SoupApiClient(endpoint.url()).soups())
                    .isInstanceOfSatisfying(SoupApiClient.SoupApiException.class,
                            e -> assertThat(e.status()).isEqualTo(503));
        }
    }

    @Test
    void aStoppedSouperAnswers503NotA500() throws Exception {
        Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, "soup-api-stopped");
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:1");
        config.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream("anything");
        try (KafkaStreams stopped = new KafkaStreams(builder.build(), config);
             SouperMetrics metrics = new SouperMetrics("test");
             HttpEndpoint endpoint = new HttpEndpoint("localhost", 0, metrics).start()) {
            stopped.close(); // NOT_RUNNING: what a souper shutting down, or one whose threads all died, is in
            new SoupApi(new SoupQueries(stopped, new HostInfo("localhost", endpoint.port()))).register(endpoint);
            for (String path : List.of("/soups", "/soups/a", "/soups/a/decisions")) {
                HttpResponse<String> response = get(endpoint.url() + path);
                assertThat(response.statusCode()).as(path).isEqualTo(503);
                assertThat(response.body()).as(path).contains("NOT_RUNNING");
            }
        }
    }

    /** The API is a double here (answers in sequence); the client's waiting is under test. */
    @Test
    void awaitSettledWaitsThroughStartingAndUnknownSoupsUntilEveryCheckpointIsDecided() throws Exception {
        List<String> answers = List.of(
                "503", "404",
                soup(1, 0, 1, "{\"requestId\":\"r1\",\"triedCheckpointId\":\"c2\",\"ingredients\":[\"c1\",\"c2\"]}"),
                soup(2, 0, 0, null),
                soup(3, 0, 0, null));
        AtomicInteger calls = new AtomicInteger();
        try (SouperMetrics metrics = new SouperMetrics("test");
             HttpEndpoint endpoint = new HttpEndpoint("localhost", 0, metrics)) {
            endpoint.get("/soups", exchange -> {
                assertThat(exchange.getRequestURI().getRawPath()).isEqualTo("/soups/sweep%201");
                String answer = answers.get(Math.min(calls.getAndIncrement(), answers.size() - 1));
                switch (answer) {
                    case "503" -> HttpEndpoint.respond(exchange, 503, "application/json", HttpEndpoint.error("starting"));
                    case "404" -> HttpEndpoint.respond(exchange, 404, "application/json", HttpEndpoint.error("no soup"));
                    default -> HttpEndpoint.respond(exchange, 200, "application/json", answer);
                }
            });
            endpoint.start();
            SoupApiClient client = new SoupApiClient(endpoint.url());

            SoupApiClient.SoupStatus settled = client.awaitSettled("sweep 1", 3, Duration.ofSeconds(20));
            assertThat(calls.get()).isEqualTo(5);
            assertThat(settled.counts().scored()).isEqualTo(3);
            assertThat(settled.inFlightCheckpointId()).isEmpty();
            assertThat(settled.ingredients()).containsExactly("c1", "c2");
            assertThat(settled.heldOutAccuracy()).hasValue(0.875);

            assertThatThrownBy(() -> client.awaitSettled("sweep 1", 4, Duration.ofMillis(300)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("did not settle on 4 checkpoints")
                    .hasMessageContaining("\"scored\":3");
        }
    }

    private static String soup(int scored, int pending, int version, String inFlight) {
        return "{\"soupId\":\"sweep 1\",\"policy\":\"SORTED\",\"version\":" + version + ",\"ingredients\":[\"c1\",\"c2\"],"
                + "\"heldOutAccuracy\":0.875,\"counts\":{\"scored\":" + scored + ",\"accepted\":2,\"rejected\":0,"
                + "\"pending\":" + pending + ",\"failed\":0},\"inFlight\":" + inFlight + "}";
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
