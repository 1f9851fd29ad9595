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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The souper's query API: {@code GET /soups}, {@code GET /soups/{id}} and
 * {@code GET /soups/{id}/decisions}, as JSON (docs/api.md). A soup held by another souper
 * instance is fetched from it with {@code ?local=true} (answer from your own stores only),
 * found through Kafka Streams' {@code application.server} metadata, so any instance answers
 * for every soup; while a soup's owner is down, an instance with a standby copy answers from it,
 * marked {@code "stale": true}. 503 when the answer cannot be given now: streams starting or rebalancing,
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

    /**
     * Every soup once: this instance's and every other's, where a soup's owner answers it is the owner's
     * answer, and a standby copy ({@code "stale": true}) fills in for an owner that is down. An instance
     * that does not answer is skipped while another holds its soups; 503 only when no one answers for it.
     */
    private ArrayNode soups(boolean localOnly) {
        Map<String, JsonNode> byId = new LinkedHashMap<>();
        queries.localSoups().forEach(view -> keepFreshest(byId, SoupJson.summary(view)));
        if (!localOnly) {
            QueryUnavailableException unanswered = null;
            for (HostInfo other : queries.otherInstances()) {
                try {
                    remote(other, "/soups?local=true").ifPresent(node -> node.forEach(n -> keepFreshest(byId, n)));
                } catch (QueryUnavailableException e) {
                    unanswered = e;
                }
            }
            // an instance down: its soups are here only if standby copies of them are; stale ones say so
            if (unanswered != null && byId.values().stream().noneMatch(n -> n.path("stale").asBoolean())) {
                throw unanswered;
            }
        }
        ArrayNode all = Json.MAPPER.createArrayNode();
        byId.values().forEach(all::add);
        return all;
    }

    private static void keepFreshest(Map<String, JsonNode> byId, JsonNode soup) {
        byId.merge(soup.path("soupId").asText(), soup,
                (kept, other) -> kept.path("stale").asBoolean() && !other.path("stale").asBoolean() ? other : kept);
    }

    private Optional<JsonNode> soup(String soupId, boolean localOnly) {
        if (localOnly) {
            return queries.localSoup(soupId).map(SoupJson::detail);
        }
        return fromOwnerOrStandby(queries.placement(soupId), "/soups/" + PathSegments.encode(soupId),
                () -> queries.localSoup(soupId).map(SoupJson::detail));
    }

    private Optional<JsonNode> decisions(String soupId, boolean localOnly) {
        if (localOnly) {
            return queries.localDecisions(soupId).map(SoupJson::decisions);
        }
        return fromOwnerOrStandby(queries.placement(soupId), "/soups/" + PathSegments.encode(soupId) + "/decisions",
                () -> queries.localDecisions(soupId).map(SoupJson::decisions));
    }

    /**
     * The owner's answer; when the owner cannot be reached (killed, not yet replaced in the group), a
     * standby copy's, this instance's first. 503 with the owner's failure when no one answers.
     */
    private Optional<JsonNode> fromOwnerOrStandby(SoupQueries.Placement placement, String path,
                                                  Supplier<Optional<JsonNode>> local) {
        List<HostInfo> order = new ArrayList<>();
        order.add(placement.active());
        if (placement.standbys().contains(queries.self())) {
            order.add(queries.self());
        }
        placement.standbys().stream().filter(h -> !h.equals(queries.self())).forEach(order::add);
        QueryUnavailableException first = null;
        for (HostInfo host : order) {
            try {
                Optional<JsonNode> answer = host.equals(queries.self()) ? local.get() : remote(host, path + "?local=true");
                if (answer.isPresent() || host.equals(placement.active())) {
                    return answer;
                }
            } catch (QueryUnavailableException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
        return Optional.empty();
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
