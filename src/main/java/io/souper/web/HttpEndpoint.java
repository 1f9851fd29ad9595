package io.souper.web;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.souper.metrics.SouperMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * The HTTP port of a Souper process: {@code /metrics} for Prometheus,
 * {@code /health} for probes, and whatever routes the process adds (the soup
 * API, the web page). Uses the JDK's server: no framework for a handful of routes.
 */
public final class HttpEndpoint implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HttpEndpoint.class);

    private final HttpServer server;

    public HttpEndpoint(String host, int port, SouperMetrics metrics) {
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 64);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + host + ":" + port, e);
        }
        server.setExecutor(Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "souper-http");
            t.setDaemon(true);
            return t;
        }));
        route("/metrics", exchange -> respond(exchange, 200,
                "text/plain; version=0.0.4; charset=utf-8", metrics.scrape()));
        route("/health", exchange -> respond(exchange, 200, "application/json", "{\"status\":\"UP\"}"));
    }

    public HttpEndpoint start() {
        server.start();
        LOG.info("HTTP endpoint on {} (/metrics, /health)", url());
        return this;
    }

    public void route(String path, HttpHandler handler) {
        server.createContext(path, exchange -> {
            try (exchange) {
                handler.handle(exchange);
            } catch (RuntimeException e) {
                LOG.warn("{} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
                respond(exchange, 500, "application/json",
                        "{\"error\":" + Json.quote(String.valueOf(e.getMessage())) + "}");
            }
        });
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String url() {
        return "http://localhost:" + port();
    }

    public static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
