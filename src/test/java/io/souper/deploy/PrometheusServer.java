package io.souper.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.souper.kafka.FreePorts;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Debian's Prometheus ({@code /usr/bin/prometheus}) as a child process, scraping the given
 * targets every second with Souper's alert rules loaded, and a client for its HTTP API.
 */
final class PrometheusServer implements AutoCloseable {

    static final Path BINARY = Path.of("/usr/bin/prometheus");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final String url;
    private final HttpClient http = HttpClient.newHttpClient();

    private PrometheusServer(Process process, String url) {
        this.process = process;
        this.url = url;
    }

    /**
     * @param jobs job name to the port of a /metrics endpoint on 127.0.0.1
     * @param log  where Prometheus's own output goes (kept as a build artefact)
     */
    static PrometheusServer start(Path workDir, Path rules, Map<String, Integer> jobs, Path log)
            throws IOException, InterruptedException {
        if (!Files.isExecutable(BINARY)) {
            throw new AssertionError(BINARY + " is missing: run scripts/install-deps.sh (Debian package prometheus)");
        }
        Files.createDirectories(workDir);
        StringBuilder config = new StringBuilder("""
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                  evaluation_interval: 1s
                rule_files:
                  - '%s'
                scrape_configs:
                """.formatted(rules.toAbsolutePath()));
        jobs.forEach((job, port) -> config.append("""
                  - job_name: %s
                    static_configs:
                      - targets: ['127.0.0.1:%d']
                """.formatted(job, port)));
        Path configFile = workDir.resolve("prometheus.yml");
        Files.writeString(configFile, config);
        Files.createDirectories(log.getParent());
        Files.copy(configFile, log.resolveSibling("prometheus.yml"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        int port = FreePorts.pick();
        Process process = new ProcessBuilder(BINARY.toString(),
                "--config.file=" + configFile,
                "--storage.tsdb.path=" + workDir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        PrometheusServer server = new PrometheusServer(process, "http://127.0.0.1:" + port);
        try {
            server.awaitReady(Duration.ofSeconds(60), log);
        } catch (RuntimeException | Error | InterruptedException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private void awaitReady(Duration timeout, Path log) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("prometheus exited with " + process.exitValue() + ":\n" + Files.readString(log));
            }
            try {
                if (get("/-/ready").statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("prometheus not ready within " + timeout + ":\n" + Files.readString(log));
    }

    /** The whole answer of an instant query (status "success" or "error", with errorType and error). */
    JsonNode query(String promql) throws IOException, InterruptedException {
        return json(get("/api/v1/query?query=" + encode(promql)));
    }

    /** A range query over [from, now] at one-second steps. */
    JsonNode queryRange(String promql, Instant from) throws IOException, InterruptedException {
        return json(get("/api/v1/query_range?query=" + encode(promql) + "&start=" + from.getEpochSecond()
                + "&end=" + Instant.now().getEpochSecond() + "&step=1"));
    }

    /** Series matching a selector at any time since {@code from}. */
    JsonNode series(String selector, Instant from) throws IOException, InterruptedException {
        return json(get("/api/v1/series?match[]=" + encode(selector) + "&start=" + from.getEpochSecond()));
    }

    /** Every metric name Prometheus has stored. */
    Set<String> metricNames() throws IOException, InterruptedException {
        Set<String> names = new TreeSet<>();
        json(get("/api/v1/label/__name__/values")).get("data").forEach(n -> names.add(n.asText()));
        return names;
    }

    JsonNode rules() throws IOException, InterruptedException {
        return json(get("/api/v1/rules"));
    }

    JsonNode alerts() throws IOException, InterruptedException {
        return json(get("/api/v1/alerts"));
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws IOException {
        // errors (400 bad_data for a syntax error, 422 execution) carry a JSON body too
        return JSON.readTree(response.body());
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
