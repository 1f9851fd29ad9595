package io.souper.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.sun.net.httpserver.HttpExchange;
import io.souper.streams.QueryUnavailableException;
import io.souper.streams.SoupQueries;
import org.apache.kafka.streams.state.HostInfo;

import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * The souper's query API: {@code GET /soups}, {@code GET /soups/{id}} and
 * {@code GET /soups/{id}/decisions}, as JSON (docs/api.md). A soup held by another souper
 * instance is fetched from it with {@code ?local=true} (answer from your own stores only),
 * found through Kafka Streams' {@code application.server} metadata, so any instance answers
 * for every soup. 503 when the answer cannot be given now: streams starting or rebalancing,
 * an instance unreachable.
 */
public final class SoupApi {

    private static final String JSON = "application/json";

    private final SoupQueries queries;
    private final java.util.Map<String, com.sun.net.httpserver.HttpHandler> subResources = new java.util.HashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public SoupApi(SoupQueries queries) {
        this.queries = queries;
    }

    /** Serves {@code /soups/{id}/NAME} with {@code handler} (the report, for one); call before {@link #register}. */
    public SoupApi with(String name, com.sun.net.httpserver.HttpHandler handler) {
        subResources.put(name, handler);
        return this;
    }

    public void register(HttpEndpoint endpoint) {
        endpoint.get("/soups", this::handle);
    }

    private void handle(HttpExchange exchange) throws IOException {
        boolean local = "local=true".equals(exchange.getRequestURI().getQuery());
        String rest = exchange.getRequestURI().getRawPath().substring("/soups".length());
        try {
            if (rest.isEmpty() || rest.equals("/")) {
                ok(exchange, soups(local));
                return;
            }
            String[] parts = rest.substring(1).split("/");
            String soupId = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
            if (parts.length == 2 && subResources.containsKey(parts[1])) {
                subResources.get(parts[1]).handle(exchange);
                return;
            }
            boolean decisions = parts.length == 2 && parts[1].equals("decisions");
            if (parts.length > 2 || (parts.length == 2 && !decisions)) {
                HttpEndpoint.respond(exchange, 404, JSON, HttpEndpoint.error("no such resource"));
                return;
            }
            Optional<JsonNode> body = decisions ? decisions(soupId, local) : soup(soupId, local);
            if (body.isPresent()) {
                ok(exchange, body.get());
            } else {
                HttpEndpoint.respond(exchange, 404, JSON, HttpEndpoint.error("no soup '" + soupId + "'"));
            }
        } catch (QueryUnavailableException e) {
            exchange.getResponseHeaders().set("Retry-After", "1");
            HttpEndpoint.respond(exchange, 503, JSON, HttpEndpoint.error(e.getMessage()));
        }
    }

    private ArrayNode soups(boolean localOnly) {
        ArrayNode all = Json.MAPPER.createArrayNode();
        queries.localSoups().forEach(view -> all.add(SoupJson.summary(view)));
        if (!localOnly) {
            for (HostInfo other : queries.otherInstances()) {
                remote(other, "/soups?local=true").ifPresent(node -> node.forEach(all::add));
            }
        }
        return all;
    }

    private Optional<JsonNode> soup(String soupId, boolean localOnly) {
        HostInfo owner = localOnly ? queries.self() : queries.owner(soupId);
        if (!owner.equals(queries.self())) {
            return remote(owner, "/soups/" + PathSegments.encode(soupId) + "?local=true");
        }
        return queries.localSoup(soupId).map(SoupJson::detail);
    }

    private Optional<JsonNode> decisions(String soupId, boolean localOnly) {
        HostInfo owner = localOnly ? queries.self() : queries.owner(soupId);
        if (!owner.equals(queries.self())) {
            return remote(owner, "/soups/" + PathSegments.encode(soupId) + "/decisions?local=true");
        }
        return queries.localDecisions(soupId).map(SoupJson::decisions);
    }

    /** Another instance's answer; empty on its 404. */
    private Optional<JsonNode> remote(HostInfo host, String path) {
        URI uri = URI.create("http://" + host.host() + ":" + host.port() + path);
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 404) {
                return Optional.empty();
            }
            if (response.statusCode() != 200) {
                throw new QueryUnavailableException(uri + " answered " + response.statusCode() + ": " + response.body());
            }
            return Optional.of(Json.MAPPER.readTree(response.body()));
        } catch (IOException e) {
            throw new QueryUnavailableException("cannot reach the souper instance at " + uri + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QueryUnavailableException("interrupted while asking " + uri);
        }
    }

    private static void ok(HttpExchange exchange, JsonNode body) throws IOException {
        HttpEndpoint.respond(exchange, 200, JSON, Json.write(body));
    }
}
