package io.souper.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import io.souper.streams.QueryUnavailableException;
import io.souper.streams.SoupQueries;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The souper's query API: {@code GET /soups}, {@code GET /soups/{id}} and
 * {@code GET /soups/{id}/decisions}, as JSON. {@code ?local=true} answers from this
 * instance's stores only (what instances use to ask each other).
 */
public final class SoupApi {

    private final SoupQueries queries;

    public SoupApi(SoupQueries queries) {
        this.queries = queries;
    }

    public void register(HttpEndpoint endpoint) {
        endpoint.route("/soups", this::handle);
    }

    private void handle(HttpExchange exchange) throws IOException {
        if (!"GET".equals(exchange.getRequestMethod())) {
            HttpEndpoint.respond(exchange, 405, "application/json", "{\"error\":\"only GET is supported\"}");
            return;
        }
        boolean local = "local=true".equals(exchange.getRequestURI().getQuery());
        String rest = exchange.getRequestURI().getRawPath().substring("/soups".length());
        try {
            if (rest.isEmpty() || rest.equals("/")) {
                ok(exchange, queries.soups(local));
                return;
            }
            String[] parts = rest.substring(1).split("/");
            String soupId = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
            Optional<? extends JsonNode> body;
            if (parts.length == 1) {
                body = queries.soup(soupId, local);
            } else if (parts.length == 2 && parts[1].equals("decisions")) {
                body = queries.decisions(soupId, local);
            } else {
                HttpEndpoint.respond(exchange, 404, "application/json", "{\"error\":\"no such resource\"}");
                return;
            }
            if (body.isPresent()) {
                ok(exchange, body.get());
            } else {
                HttpEndpoint.respond(exchange, 404, "application/json",
                        "{\"error\":" + Json.quote("no soup '" + soupId + "'") + "}");
            }
        } catch (QueryUnavailableException e) {
            HttpEndpoint.respond(exchange, 503, "application/json", "{\"error\":" + Json.quote(e.getMessage()) + "}");
        }
    }

    private static void ok(HttpExchange exchange, JsonNode body) throws IOException {
        HttpEndpoint.respond(exchange, 200, "application/json", Json.write(body));
    }
}
