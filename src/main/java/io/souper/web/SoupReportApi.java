package io.souper.web;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.report.ReportAnswers;
import io.souper.report.SoupReport;
import io.souper.report.SoupReports;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code GET /soups/{id}/report}: the same report as {@code souper report}, asked of the evaluator
 * through Kafka (report requests, answered on souper.report-results) by the process that serves the
 * page. {@code ?format=json} (default, report.json), {@code md} (report.md) or {@code svg}
 * (figure1.svg); {@code ?wait=PT1M} is how long the request waits for the evaluator (default one
 * minute, at most {@link SoupReports#DEFAULT_TIMEOUT}). A report not answered in time is 503 with
 * Retry-After: its parts stay asked, so a later request finds them answered instead of asking again.
 */
public final class SoupReportApi implements HttpHandler {

    static final Duration DEFAULT_WAIT = Duration.ofMinutes(1);
    private static final Duration MAX_WAIT = Duration.parse(SoupReports.DEFAULT_TIMEOUT);

    private final KafkaClientConfigs clients;
    private final SouperTopics topics;

    public SoupReportApi(KafkaClientConfigs clients, SouperTopics topics) {
        this.clients = clients;
        this.topics = topics;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getRawPath();
        String[] parts = path.substring("/soups/".length()).split("/");
        String soupId = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
        Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
        String format = query.getOrDefault("format", "json");
        if (!format.equals("json") && !format.equals("md") && !format.equals("svg")) {
            HttpEndpoint.respond(exchange, 400, "application/json",
                    HttpEndpoint.error("format must be json, md or svg, not '" + format + "'"));
            return;
        }
        Duration wait;
        try {
            wait = query.containsKey("wait") ? Duration.parse(query.get("wait")) : DEFAULT_WAIT;
        } catch (DateTimeParseException e) {
            HttpEndpoint.respond(exchange, 400, "application/json",
                    HttpEndpoint.error("wait must be an ISO-8601 duration such as PT2M, not '" + query.get("wait") + "'"));
            return;
        }
        if (wait.isNegative() || wait.compareTo(MAX_WAIT) > 0) {
            wait = MAX_WAIT;
        }
        SoupReport report;
        try {
            report = SoupReports.make(clients, topics, soupId, Optional.empty(), wait, line -> { });
        } catch (ReportAnswers.ReportTimeoutException e) {
            exchange.getResponseHeaders().set("Retry-After", "10");
            HttpEndpoint.respond(exchange, 503, "application/json", HttpEndpoint.error(e.getMessage()));
            return;
        } catch (IllegalArgumentException e) {
            // no such soup, or nothing scored yet: there is no report to make
            HttpEndpoint.respond(exchange, 404, "application/json", HttpEndpoint.error(e.getMessage()));
            return;
        } catch (ReportAnswers.PartFailedException e) {
            // the evaluator answered a part with an error: it says which and why
            HttpEndpoint.respond(exchange, 502, "application/json", HttpEndpoint.error(e.getMessage()));
            return;
        }
        switch (format) {
            case "md" -> HttpEndpoint.respond(exchange, 200, "text/markdown; charset=utf-8", report.markdown());
            case "svg" -> HttpEndpoint.respond(exchange, 200, "image/svg+xml", report.figure());
            default -> HttpEndpoint.respond(exchange, 200, "application/json", report.json());
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }
}
