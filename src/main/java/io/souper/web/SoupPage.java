package io.souper.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The soups' web page at {@code /}, for people rather than dashboards: a table over the query API
 * and a chart of accuracy by soup version, kept current by the server-sent events of {@code /events}.
 * Self-contained (inline script and SVG, no CDN), so it works where the machine has no internet.
 */
public final class SoupPage {

    private final String html;

    public SoupPage() {
        try (InputStream in = SoupPage.class.getResourceAsStream("/web/index.html")) {
            if (in == null) {
                throw new IllegalStateException("web/index.html is missing from the classpath");
            }
            html = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void register(HttpEndpoint endpoint) {
        endpoint.get("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            if (path.equals("/") || path.equals("/index.html")) {
                HttpEndpoint.respond(exchange, 200, "text/html; charset=utf-8", html);
            } else {
                HttpEndpoint.respond(exchange, 404, "application/json", "{\"error\":\"no such resource\"}");
            }
        });
    }
}
