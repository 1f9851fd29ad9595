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
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The HTTP port of a Souper process: {@code /metrics} for Prometheus, {@code /health},
 * {@code /health/live} and {@code /health/ready} for probes, and whatever routes the process
 * adds (the soup API, the web page, its event stream). Uses the JDK's server: no framework
 * for a handful of routes.
 *
 * <p>The JDK server reads a request on an executor thread, so a client that sends half a
 * request holds a thread until it gives up. Two guards: a pool with room for many slow
 * clients and long-lived event streams, and a limit on how long a request may take to
 * arrive ({@value #REQUEST_TIMEOUT_PROPERTY}, seconds), after which the JDK closes the
 * connection. The JDK reads that limit once per JVM, when it creates its first server, so
 * it is set here before any is created; a process that starts another JDK server first (the
 * all-in-one's schema registry) must create its endpoint first.
 */
public final class HttpEndpoint implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HttpEndpoint.class);

    static final String REQUEST_TIMEOUT_PROPERTY = "sun.net.httpserver.maxReqTime";
    /** Seconds a client may take to send a request: generous for people, short for a stalled socket. */
    static final String DEFAULT_REQUEST_TIMEOUT_SECONDS = "10";
    /** Handler threads: API requests are short, but every open event stream holds one. */
    static final int THREADS = 64;

    static {
        if (System.getProperty(REQUEST_TIMEOUT_PROPERTY) == null) {
            System.setProperty(REQUEST_TIMEOUT_PROPERTY, DEFAULT_REQUEST_TIMEOUT_SECONDS);
        }
    }

    private static final String JSON = "application/json";

    private final HttpServer server;
    private final ExecutorService executor;
    private volatile Supplier<Health> health = () -> Health.ready("up");

    public HttpEndpoint(String host, int port, SouperMetrics metrics) {
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 128);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + host + ":" + port, e);
        }
        AtomicInteger threadNumber = new AtomicInteger();
        executor = Executors.newFixedThreadPool(THREADS, r -> {
            Thread t = new Thread(r, "souper-http-" + threadNumber.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        get("/metrics", exchange -> respond(exchange, 200,
                "text/plain; version=0.0.4; charset=utf-8", metrics.scrape()));
        get("/health", exchange -> {
            String path = exchange.getRequestURI().getPath();
            Health now = health.get();
            switch (path) {
                case "/health", "/health/ready" -> respondHealth(exchange, now.ready(), now);
                case "/health/live" -> respondHealth(exchange, now.live(), now);
                default -> respond(exchange, 404, JSON, "{\"error\":\"no such resource\"}");
            }
        });
    }

    /**
     * Where probes get the process's health from; until this is called the process counts
     * as ready as soon as it listens.
     */
    public HttpEndpoint health(Supplier<Health> supplier) {
        this.health = Objects.requireNonNull(supplier);
        return this;
    }

    public HttpEndpoint start() {
        server.start();
        LOG.info("HTTP endpoint on {} (/metrics, /health/live, /health/ready)", url());
        return this;
    }

    /** A route that answers any method; the handler decides. */
    public void route(String path, HttpHandler handler) {
        server.createContext(path, exchange -> {
            try (exchange) {
                handler.handle(exchange);
            } catch (RuntimeException e) {
                LOG.warn("{} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
                respond(exchange, 500, JSON, error(String.valueOf(e.getMessage())));
            }
        });
    }

    /** A read-only route: GET (and HEAD) only, anything else is 405. */
    public void get(String path, HttpHandler handler) {
        route(path, exchange -> {
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                respond(exchange, 405, JSON, error(method + " is not allowed on " + path + "; use GET"));
                return;
            }
            handler.handle(exchange);
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
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head || bytes.length == 0 ? -1 : bytes.length);
        if (!head && bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** {@code {"error": message}}, the body of every error answer. */
    public static String error(String message) {
        return "{\"error\":" + Json.quote(message) + "}";
    }

    private static void respondHealth(HttpExchange exchange, boolean ok, Health health) throws IOException {
        respond(exchange, ok ? 200 : 503, JSON, "{\"status\":\"" + (ok ? "UP" : "DOWN") + "\",\"reason\":"
                + Json.quote(health.reason()) + "}");
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
