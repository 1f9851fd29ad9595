package io.souper.web;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A typed client of the souper's query API (docs/api.md), for the CLI, the demo and tests:
 * one place that knows the routes, what their answers mean and how to wait for a soup to
 * settle.
 */
public final class SoupApiClient {

    /** Counts of a soup's checkpoints by outcome. */
    public record Counts(int scored, int accepted, int rejected, int pending, int failed) {
    }

    /**
     * A soup as {@code GET /soups/{id}} (or an element of {@code GET /soups}) shows it.
     *
     * @param heldOutAccuracy         empty before the first version
     * @param inFlightCheckpointId    the checkpoint whose candidate set is being scored, if one is
     * @param json                    the whole answer, for printing
     */
    public record SoupStatus(String soupId, String policy, long version, List<String> ingredients,
                             Optional<Double> heldOutAccuracy, Counts counts,
                             Optional<String> inFlightCheckpointId, JsonNode json) {

        /**
         * Every one of {@code checkpoints} checkpoints has had its decision (scored or failed)
         * and no candidate is being scored.
         */
        public boolean settledOn(int checkpoints) {
            return inFlightCheckpointId.isEmpty() && counts.pending() == 0
                    && counts.scored() + counts.failed() >= checkpoints;
        }

        static SoupStatus of(JsonNode node) {
            JsonNode c = node.path("counts");
            List<String> ingredients = new ArrayList<>();
            node.path("ingredients").forEach(i -> ingredients.add(i.asText()));
            JsonNode held = node.path("heldOutAccuracy");
            JsonNode inFlight = node.path("inFlight");
            return new SoupStatus(node.path("soupId").asText(), node.path("policy").asText(),
                    node.path("version").asLong(), List.copyOf(ingredients),
                    held.isNumber() ? Optional.of(held.asDouble()) : Optional.empty(),
                    new Counts(c.path("scored").asInt(), c.path("accepted").asInt(), c.path("rejected").asInt(),
                            c.path("pending").asInt(), c.path("failed").asInt()),
                    inFlight.isObject() ? Optional.of(inFlight.path("triedCheckpointId").asText()) : Optional.empty(),
                    node);
        }
    }

    /** One entry of a soup's audit log ({@code GET /soups/{id}/decisions}). */
    public record Decision(long sequence, long soupVersion, String kind, String checkpointId,
                           List<String> candidateIngredients, Optional<Double> candidateAccuracy,
                           Optional<Double> soupAccuracy, Optional<String> reason, JsonNode json) {

        static Decision of(JsonNode node) {
            List<String> set = new ArrayList<>();
            node.path("candidateIngredients").forEach(i -> set.add(i.asText()));
            return new Decision(node.path("sequence").asLong(), node.path("soupVersion").asLong(),
                    node.path("kind").asText(), node.path("checkpointId").asText(), List.copyOf(set),
                    number(node.path("candidateAccuracy")), number(node.path("soupAccuracy")),
                    node.path("reason").isTextual() ? Optional.of(node.path("reason").asText()) : Optional.empty(),
                    node);
        }

        private static Optional<Double> number(JsonNode node) {
            return node.isNumber() ? Optional.of(node.asDouble()) : Optional.empty();
        }
    }

    /** The API answered with an error status, or could not be reached. */
    public static final class SoupApiException extends RuntimeException {
        private final int status;

        SoupApiException(int status, String message, Throwable cause) {
            super(message, cause);
            this.status = status;
        }

        /** The HTTP status, or 0 when the API could not be reached. */
        public int status() {
            return status;
        }
    }

    private final String baseUrl;
    private final HttpClient http;

    /** @param baseUrl a souper instance's HTTP address, e.g. {@code http://localhost:8080} */
    public SoupApiClient(String baseUrl) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    public String baseUrl() {
        return baseUrl;
    }

    /** Every soup, on every souper instance. */
    public List<SoupStatus> soups() {
        List<SoupStatus> all = new ArrayList<>();
        get("/soups").orElseThrow(() -> failure(404, "/soups", "not found"))
                .forEach(node -> all.add(SoupStatus.of(node)));
        return all;
    }

    /** The soup, or empty if the souper has no such soup. */
    public Optional<SoupStatus> soup(String soupId) {
        return get("/soups/" + PathSegments.encode(soupId)).map(SoupStatus::of);
    }

    /** The soup's decisions, oldest first, or empty if the souper has no such soup. */
    public Optional<List<Decision>> decisions(String soupId) {
        return get("/soups/" + PathSegments.encode(soupId) + "/decisions").map(array -> {
            List<Decision> out = new ArrayList<>();
            array.forEach(node -> out.add(Decision.of(node)));
            return out;
        });
    }

    /**
     * Waits until the soup has decided on {@code checkpoints} checkpoints and scores nothing
     * more. A souper that is starting or rebalancing (503), or that has not seen the soup yet
     * (404), is waited for like a soup that is still working.
     *
     * @throws IllegalStateException when the soup has not settled within {@code timeout}
     */
    public SoupStatus awaitSettled(String soupId, int checkpoints, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer yet";
        while (true) {
            try {
                Optional<SoupStatus> status = soup(soupId);
                if (status.isPresent() && status.get().settledOn(checkpoints)) {
                    return status.get();
                }
                last = status.map(s -> Json.write(s.json())).orElse("no soup '" + soupId + "' yet");
            } catch (SoupApiException e) {
                if (e.status() != 503 && e.status() != 0) {
                    throw e;
                }
                last = e.getMessage();
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("soup " + soupId + " did not settle on " + checkpoints
                        + " checkpoints within " + timeout + "; last answer: " + last);
            }
            Thread.sleep(100);
        }
    }

    /** The answer's JSON, empty on 404. */
    private Optional<JsonNode> get(String path) {
        URI uri = URI.create(baseUrl + path);
        HttpResponse<String> response;
        try {
            response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new SoupApiException(0, "cannot reach the souper at " + baseUrl + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SoupApiException(0, "interrupted while asking " + uri, e);
        }
        if (response.statusCode() == 404) {
            return Optional.empty();
        }
        if (response.statusCode() != 200) {
            throw failure(response.statusCode(), path, response.body());
        }
        try {
            return Optional.of(Json.MAPPER.readTree(response.body()));
        } catch (IOException e) {
            throw new SoupApiException(response.statusCode(), uri + " answered with JSON that does not parse: "
                    + e.getMessage(), e);
        }
    }

    private SoupApiException failure(int status, String path, String body) {
        return new SoupApiException(status, baseUrl + path + " answered " + status + ": " + body, null);
    }
}
