package io.souper.web;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /events}: the live page's server-sent events (text/event-stream). Each event
 * carries its id, so a browser that reconnects (EventSource does, by itself) sends
 * {@code Last-Event-ID} and gets only what it missed. A comment line every few seconds keeps
 * proxies from closing an idle stream and tells the server when the page has gone.
 */
public final class EventStream {

    /** Open streams allowed at once: each holds an HTTP thread, and the API needs some too. */
    static final int MAX_STREAMS = 16;
    private static final long HEARTBEAT_SECONDS = 10;

    private final SoupEvents events;

    public EventStream(SoupEvents events) {
        this.events = events;
    }

    public void register(HttpEndpoint endpoint) {
        endpoint.get("/events", this::stream);
    }

    private void stream(HttpExchange exchange) throws IOException {
        if (events.subscriberCount() >= MAX_STREAMS) {
            exchange.getResponseHeaders().set("Retry-After", "5");
            HttpEndpoint.respond(exchange, 503, "application/json",
                    HttpEndpoint.error("too many open event streams (" + MAX_STREAMS + "); try again later"));
            return;
        }
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.getResponseHeaders().set("X-Accel-Buffering", "no");
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(200, -1);
            return;
        }
        exchange.sendResponseHeaders(200, 0);
        try (SoupEvents.Subscription subscription = events.subscribe(lastEventId(exchange));
             OutputStream out = exchange.getResponseBody()) {
            // Tell the browser how soon to reconnect if the stream breaks.
            write(out, "retry: 2000\n\n");
            while (!subscription.overflowed()) {
                SoupEvents.Event event = subscription.queue().poll(HEARTBEAT_SECONDS, TimeUnit.SECONDS);
                if (event == null) {
                    write(out, ": keep-alive\n\n");
                } else {
                    write(out, "id: " + event.id() + "\nevent: " + event.type() + "\ndata: "
                            + Json.write(event.data()) + "\n\n");
                }
            }
        } catch (InterruptedException e) {
            // the endpoint is closing
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the page went away; nothing to do
        }
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static long lastEventId(HttpExchange exchange) {
        String header = exchange.getRequestHeaders().getFirst("Last-Event-ID");
        try {
            return header == null ? 0 : Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
